"""contributions: refunds of what a payer paid and no longer owes (退费), paid through the bank or offset

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-26
"""
import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table(
        'refunds',
        sa.Column('id', BigId, nullable=False),
        sa.Column('province', sa.String(length=6), nullable=False),
        sa.Column('payer_kind', sa.String(length=10), nullable=False),
        sa.Column('payer_id', BigId, nullable=False),
        sa.Column('amount_fen', sa.BigInteger(), nullable=False),
        sa.Column('method', sa.String(length=10), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('reason', sa.String(length=200), nullable=False),
        sa.Column('bank_code', sa.String(length=10), nullable=True),
        sa.Column('bank_account_enc', sa.LargeBinary(), nullable=True),
        sa.Column('offset_fen', sa.BigInteger(), nullable=False),
        sa.Column('requested_by', sa.String(length=120), nullable=False),
        sa.Column('requested_at', sa.DateTime(), nullable=False),
        sa.Column('decided_by', sa.String(length=120), nullable=True),
        sa.Column('decided_at', sa.DateTime(), nullable=True),
        sa.Column('decision_reason', sa.String(length=200), nullable=True),
        sa.Column('entry_id', BigId, nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_refunds')),
    )
    op.create_index('ix_refunds_payer', 'refunds', ['payer_kind', 'payer_id'], unique=False)
    op.create_index('ix_refunds_province_status', 'refunds', ['province', 'status'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_refunds_province_status', table_name='refunds')
    op.drop_index('ix_refunds_payer', table_name='refunds')
    op.drop_table('refunds')
