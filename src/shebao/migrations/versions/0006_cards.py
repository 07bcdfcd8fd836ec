"""cards: cards and their moves (one valid card per person, a partial unique index), production batches,
electronic cards, the blacklist, the notices banks poll, and the bank an account belongs to

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""
import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('bank_notices',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('bank_code', sa.String(length=12), nullable=False),
    sa.Column('card_number', sa.String(length=11), nullable=False),
    sa.Column('event', sa.String(length=20), nullable=False),
    sa.Column('financial_function', sa.Boolean(), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bank_notices'))
    )
    with op.batch_alter_table('bank_notices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bank_notices_bank_code'), ['bank_code'], unique=False)

    op.create_table('blacklist_entries',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('subject_kind', sa.String(length=10), nullable=False),
    sa.Column('subject_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('ground', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('listed_on', sa.Date(), nullable=False),
    sa.Column('listed_by', sa.String(length=120), nullable=False),
    sa.Column('released_on', sa.Date(), nullable=True),
    sa.Column('released_by', sa.String(length=120), nullable=True),
    sa.Column('release_reason', sa.String(length=200), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_blacklist_entries'))
    )
    with op.batch_alter_table('blacklist_entries', schema=None) as batch_op:
        batch_op.create_index('ix_blacklist_subject', ['subject_kind', 'subject_id'], unique=False)

    op.create_table('production_batches',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('region_code', sa.String(length=9), nullable=False),
    sa.Column('province', sa.String(length=6), nullable=False),
    sa.Column('cards', sa.Integer(), nullable=False),
    sa.Column('manifest_sha256', sa.String(length=64), nullable=False),
    sa.Column('submitted_by', sa.String(length=120), nullable=False),
    sa.Column('submitted_at', sa.DateTime(), nullable=False),
    sa.Column('returned_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_production_batches'))
    )
    op.create_table('cards',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('province', sa.String(length=6), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('card_number', sa.String(length=11), nullable=True),
    sa.Column('chip_serial', sa.String(length=32), nullable=True),
    sa.Column('issue_date', sa.Date(), nullable=True),
    sa.Column('expiry_date', sa.Date(), nullable=True),
    sa.Column('bank_code', sa.String(length=12), nullable=True),
    sa.Column('bank_account_enc', sa.LargeBinary(), nullable=True),
    sa.Column('pin_hash', sa.String(length=200), nullable=True),
    sa.Column('pin_failures', sa.Integer(), nullable=False),
    sa.Column('replaces_card_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('batch_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('applied_region', sa.String(length=9), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['production_batches.id'], name=op.f('fk_cards_batch_id_production_batches')),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_cards_person_id_persons')),
    sa.ForeignKeyConstraint(['replaces_card_id'], ['cards.id'], name=op.f('fk_cards_replaces_card_id_cards')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cards')),
    sa.UniqueConstraint('card_number', name=op.f('uq_cards_card_number'))
    )
    with op.batch_alter_table('cards', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cards_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index('uq_cards_one_valid_per_person', ['person_id'], unique=True, sqlite_where=sa.text("state IN ('applied', 'in_production', 'issued', 'active', 'frozen')"), postgresql_where=sa.text("state IN ('applied', 'in_production', 'issued', 'active', 'frozen')"))

    op.create_table('card_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('card_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('move', sa.String(length=20), nullable=False),
    sa.Column('from_state', sa.String(length=16), nullable=True),
    sa.Column('to_state', sa.String(length=16), nullable=False),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('region_code', sa.String(length=9), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['card_id'], ['cards.id'], name=op.f('fk_card_events_card_id_cards')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_card_events'))
    )
    with op.batch_alter_table('card_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_card_events_card_id'), ['card_id'], unique=False)

    op.create_table('ecards',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('card_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('device_tag', sa.String(length=16), nullable=False),
    sa.Column('opened_at', sa.DateTime(), nullable=False),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['card_id'], ['cards.id'], name=op.f('fk_ecards_card_id_cards')),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_ecards_person_id_persons')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ecards'))
    )
    with op.batch_alter_table('ecards', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ecards_card_id'), ['card_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ecards_person_id'), ['person_id'], unique=False)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('bank_code', sa.String(length=12), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('bank_code')

    with op.batch_alter_table('ecards', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ecards_person_id'))
        batch_op.drop_index(batch_op.f('ix_ecards_card_id'))

    op.drop_table('ecards')
    with op.batch_alter_table('card_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_card_events_card_id'))

    op.drop_table('card_events')
    with op.batch_alter_table('cards', schema=None) as batch_op:
        batch_op.drop_index('uq_cards_one_valid_per_person', sqlite_where=sa.text("state IN ('applied', 'in_production', 'issued', 'active', 'frozen')"), postgresql_where=sa.text("state IN ('applied', 'in_production', 'issued', 'active', 'frozen')"))
        batch_op.drop_index(batch_op.f('ix_cards_batch_id'))

    op.drop_table('cards')
    op.drop_table('production_batches')
    with op.batch_alter_table('blacklist_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_blacklist_subject')

    op.drop_table('blacklist_entries')
    with op.batch_alter_table('bank_notices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bank_notices_bank_code'))

    op.drop_table('bank_notices')
