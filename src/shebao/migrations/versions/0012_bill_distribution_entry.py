"""contributions: each bill records the ledger entry that distributed it (bills.distribution_entry_id), so
that the pension record asks the bill instead of matching journal keys; bills distributed before take the
id of their "distribute:<bill id>" entry

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-10
"""
import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('bills', schema=None) as batch_op:
        batch_op.add_column(sa.Column('distribution_entry_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
                                      nullable=True))
    # The key the distribution was posted under until now; from here on the bill holds the entry's id.
    op.execute("UPDATE bills SET distribution_entry_id = ("
               "SELECT e.id FROM journal_entries e WHERE e.idempotency_key = 'distribute:' || CAST(bills.id AS VARCHAR(20))) "
               "WHERE EXISTS (SELECT 1 FROM journal_entries e "
               "WHERE e.idempotency_key = 'distribute:' || CAST(bills.id AS VARCHAR(20)))")


def downgrade() -> None:
    with op.batch_alter_table('bills', schema=None) as batch_op:
        batch_op.drop_column('distribution_entry_id')
