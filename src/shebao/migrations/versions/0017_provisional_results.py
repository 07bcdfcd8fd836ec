"""core: provisional_results — batch results computed with a parameter served past its validity, corrected
once the value is loaded

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-26
"""
import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'provisional_results',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('province', sa.String(length=6), nullable=False),
        sa.Column('period', sa.String(length=6), nullable=False),
        sa.Column('paths', sa.Text(), nullable=False),
        sa.Column('recorded_at', sa.DateTime(), nullable=False),
        sa.Column('corrected_at', sa.DateTime(), nullable=True),
        sa.Column('corrected_by', sa.String(length=60), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_provisional_results')),
    )
    op.create_index('ix_provisional_results_open', 'provisional_results', ['province', 'corrected_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_provisional_results_open', table_name='provisional_results')
    op.drop_table('provisional_results')
