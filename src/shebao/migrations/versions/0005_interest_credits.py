"""interest credits: each personal account's yearly interest and the figures behind it

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""
import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('interest_credits',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('year', sa.BigInteger(), nullable=False),
    sa.Column('province', sa.String(length=6), nullable=False),
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('opening_fen', sa.BigInteger(), nullable=False),
    sa.Column('contributions_fen', sa.BigInteger(), nullable=False),
    sa.Column('weighted_fen', sa.BigInteger(), nullable=False),
    sa.Column('rate_millionths', sa.BigInteger(), nullable=False),
    sa.Column('interest_fen', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['ledger_accounts.id'], name=op.f('fk_interest_credits_account_id_ledger_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_interest_credits')),
    sa.UniqueConstraint('year', 'account_id', name=op.f('uq_interest_credits_year_account_id'))
    )
    with op.batch_alter_table('interest_credits', schema=None) as batch_op:
        batch_op.create_index('ix_interest_credits_province_year', ['province', 'year'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('interest_credits', schema=None) as batch_op:
        batch_op.drop_index('ix_interest_credits_province_year')

    op.drop_table('interest_credits')
