"""national fund: each province's line of a year's national adjustment of the pension pooling funds (中央调剂 / 全国统筹).

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-27
"""
import sqlalchemy as sa
from alembic import op

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('national_settlements',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('province', sa.String(length=6), nullable=False),
    sa.Column('insurance', sa.String(length=20), nullable=False),
    sa.Column('base_fen', sa.BigInteger(), nullable=False),
    sa.Column('assessments', sa.BigInteger(), nullable=False),
    sa.Column('rate', sa.String(length=12), nullable=False),
    sa.Column('remitted_fen', sa.BigInteger(), nullable=False),
    sa.Column('retirees', sa.BigInteger(), nullable=False),
    sa.Column('received_fen', sa.BigInteger(), nullable=False),
    sa.Column('net_fen', sa.BigInteger(), nullable=False),
    sa.Column('remit_key', sa.String(length=128), nullable=True),
    sa.Column('receive_key', sa.String(length=128), nullable=True),
    sa.Column('period', sa.String(length=6), nullable=False),
    sa.Column('settled_by', sa.String(length=120), nullable=False),
    sa.Column('settled_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('base_fen >= 0 AND remitted_fen >= 0 AND retirees >= 0 AND received_fen >= 0',
                       name=op.f('ck_national_settlements_not_negative')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_national_settlements')),
    sa.UniqueConstraint('year', 'insurance', 'province', name=op.f('uq_national_settlements_year_insurance_province'))
    )


def downgrade() -> None:
    op.drop_table('national_settlements')
