"""interest by the national method (issue #11): journal entries say the month their money is for
(journal_entries.for_period, NULL = the posting period), interest_credits record the rule they were computed
under, and interest_corrections keep each account's recomputed year and the difference posted for it.

Entries posted before: a bill's distribution entry is for the bill's month (bills.distribution_entry_id), and a
make-up bill's entry ("bill:<id>", posted in the month it was billed) for the month made up. Years credited
before were computed with 12 − n months from the posting month (the only rule the code had): their rows say so.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-20
"""
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

OLD_RULE = "monthly:months_remaining_after_credit:posting_month"
BigId = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    # Not in batch mode: rebuilding journal_entries on SQLite would drop its append-only triggers.
    op.add_column('journal_entries', sa.Column('for_period', sa.String(length=6), nullable=True))
    with _journal_entries_writable():
        # UPDATE … FROM (PostgreSQL; SQLite since 3.33): driven by the bills, each entry found through its index.
        op.execute("UPDATE journal_entries SET for_period = b.period FROM bills b "
                   "WHERE b.distribution_entry_id = journal_entries.id")
        op.execute("UPDATE journal_entries SET for_period = b.period FROM bills b "
                   "WHERE journal_entries.idempotency_key = 'bill:' || CAST(b.id AS VARCHAR(20)) "
                   "AND b.period <> journal_entries.period")

    with op.batch_alter_table('interest_credits', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rule', sa.String(length=80), nullable=True))
    op.execute(f"UPDATE interest_credits SET rule = '{OLD_RULE}'")
    with op.batch_alter_table('interest_credits', schema=None) as batch_op:
        batch_op.alter_column('rule', existing_type=sa.String(length=80), nullable=False)

    op.create_table('interest_corrections',
    sa.Column('id', BigId, nullable=False),
    sa.Column('year', sa.BigInteger(), nullable=False),
    sa.Column('province', sa.String(length=6), nullable=False),
    sa.Column('account_id', BigId, nullable=False),
    sa.Column('recomputation', sa.BigInteger(), nullable=False),
    sa.Column('entry_key', sa.String(length=128), nullable=False),
    sa.Column('period', sa.String(length=6), nullable=False),
    sa.Column('rule', sa.String(length=80), nullable=False),
    sa.Column('opening_fen', sa.BigInteger(), nullable=False),
    sa.Column('contributions_fen', sa.BigInteger(), nullable=False),
    sa.Column('weighted_fen', sa.BigInteger(), nullable=False),
    sa.Column('rate_millionths', sa.BigInteger(), nullable=False),
    sa.Column('interest_fen', sa.BigInteger(), nullable=False),
    sa.Column('credited_fen', sa.BigInteger(), nullable=False),
    sa.Column('difference_fen', sa.BigInteger(), nullable=False),
    sa.Column('corrected_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['ledger_accounts.id'],
                            name=op.f('fk_interest_corrections_account_id_ledger_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_interest_corrections')),
    sa.UniqueConstraint('year', 'account_id', 'recomputation', name=op.f('uq_interest_corrections_year_account_id_recomputation'))
    )
    with op.batch_alter_table('interest_corrections', schema=None) as batch_op:
        batch_op.create_index('ix_interest_corrections_province_year', ['province', 'year'], unique=False)
        batch_op.create_index('ix_interest_corrections_entry_key', ['entry_key'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('interest_corrections', schema=None) as batch_op:
        batch_op.drop_index('ix_interest_corrections_entry_key')
        batch_op.drop_index('ix_interest_corrections_province_year')
    op.drop_table('interest_corrections')
    with op.batch_alter_table('interest_credits', schema=None) as batch_op:
        batch_op.drop_column('rule')
    op.drop_column('journal_entries', 'for_period')  # not in batch mode, for the triggers' sake


@contextmanager
def _journal_entries_writable() -> Iterator[None]:
    """The append-only trigger on journal_entries lifted for the backfill of the new column, and put back: the
    migration adds what each entry already said (its bill's month) and changes no amount, account or period."""
    postgresql = op.get_bind().dialect.name == "postgresql"
    op.execute("ALTER TABLE journal_entries DISABLE TRIGGER journal_entries_no_change" if postgresql
               else "DROP TRIGGER journal_entries_no_update")
    yield
    op.execute("ALTER TABLE journal_entries ENABLE TRIGGER journal_entries_no_change" if postgresql
               else "CREATE TRIGGER journal_entries_no_update BEFORE UPDATE ON journal_entries "
                    "BEGIN SELECT RAISE(ABORT, 'the journal is append-only: post a reversing entry'); END")
