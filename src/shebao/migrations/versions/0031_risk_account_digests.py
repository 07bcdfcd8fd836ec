"""risk: a keyed hash of the bank account behind each receiver's card, so that the screening can group benefits by the
account they are paid into (R16) — the account itself is stored only encrypted; and an index on the tax wage rows by
keyed hash and month, by which R14 finds the wages of a person drawing unemployment benefit.

Revision ID: 0031
Revises: 0030
Create Date: 2026-11-27
"""
import sqlalchemy as sa
from alembic import op

revision = '0031'
down_revision = '0030'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('risk_account_digests',
    sa.Column('card_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('account_digest', sa.String(length=64), nullable=False),
    sa.Column('card_updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['card_id'], ['cards.id'], name=op.f('fk_risk_account_digests_card_id_cards')),
    sa.PrimaryKeyConstraint('card_id', name=op.f('pk_risk_account_digests'))
    )
    with op.batch_alter_table('risk_account_digests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_risk_account_digests_account_digest'), ['account_digest'], unique=False)
        batch_op.create_index(batch_op.f('ix_risk_account_digests_person_id'), ['person_id'], unique=False)

    with op.batch_alter_table('ext_tax_employment', schema=None) as batch_op:
        batch_op.create_index('ix_ext_tax_employment_id_hash_period', ['id_hash', 'period'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('ext_tax_employment', schema=None) as batch_op:
        batch_op.drop_index('ix_ext_tax_employment_id_hash_period')

    with op.batch_alter_table('risk_account_digests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_risk_account_digests_person_id'))
        batch_op.drop_index(batch_op.f('ix_risk_account_digests_account_digest'))

    op.drop_table('risk_account_digests')
