"""cards: the card and every move in its life; one valid card per person (partial unique index)

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
    sa.Column('applied_region', sa.String(length=9), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_cards_person_id_persons')),
    sa.ForeignKeyConstraint(['replaces_card_id'], ['cards.id'], name=op.f('fk_cards_replaces_card_id_cards')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cards')),
    sa.UniqueConstraint('card_number', name=op.f('uq_cards_card_number'))
    )
    with op.batch_alter_table('cards', schema=None) as batch_op:
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



def downgrade() -> None:
    with op.batch_alter_table('card_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_card_events_card_id'))

    op.drop_table('card_events')
    with op.batch_alter_table('cards', schema=None) as batch_op:
        batch_op.drop_index('uq_cards_one_valid_per_person', sqlite_where=sa.text("state IN ('applied', 'in_production', 'issued', 'active', 'frozen')"), postgresql_where=sa.text("state IN ('applied', 'in_production', 'issued', 'active', 'frozen')"))

    op.drop_table('cards')
