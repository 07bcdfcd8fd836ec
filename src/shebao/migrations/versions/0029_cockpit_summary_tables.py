"""risk: the cockpit's summary tables — each figure's count per region at every level (street to the country) as of
a day, and each province's pooling funds month by month — rebuilt set-based by `shebao cockpit refresh`.

Revision ID: 0029
Revises: 0028
Create Date: 2026-11-27
"""
import sqlalchemy as sa
from alembic import op

revision = '0029'
down_revision = '0028'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('cockpit_fund_months',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('province', sa.String(length=6), nullable=False),
    sa.Column('insurance', sa.String(length=20), nullable=False),
    sa.Column('period', sa.String(length=6), nullable=False),
    sa.Column('income_fen', sa.BigInteger(), nullable=False),
    sa.Column('spending_fen', sa.BigInteger(), nullable=False),
    sa.Column('balance_fen', sa.BigInteger(), nullable=False),
    sa.Column('refreshed_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cockpit_fund_months')),
    sa.UniqueConstraint('province', 'as_of', 'insurance', 'period', name=op.f('uq_cockpit_fund_months_province_as_of_insurance_period'))
    )
    op.create_table('cockpit_region_figures',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('province', sa.String(length=6), nullable=False),
    sa.Column('region_code', sa.String(length=9), nullable=False),
    sa.Column('parent_code', sa.String(length=9), nullable=True),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('figure', sa.String(length=24), nullable=False),
    sa.Column('key', sa.String(length=24), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.Column('refreshed_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cockpit_region_figures')),
    sa.UniqueConstraint('region_code', 'as_of', 'figure', 'key', name=op.f('uq_cockpit_region_figures_region_code_as_of_figure_key'))
    )
    with op.batch_alter_table('cockpit_region_figures', schema=None) as batch_op:
        batch_op.create_index('ix_cockpit_region_figures_as_of_parent', ['as_of', 'parent_code'], unique=False)
        batch_op.create_index('ix_cockpit_region_figures_province_level_as_of', ['province', 'level', 'as_of'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('cockpit_region_figures', schema=None) as batch_op:
        batch_op.drop_index('ix_cockpit_region_figures_province_level_as_of')
        batch_op.drop_index('ix_cockpit_region_figures_as_of_parent')

    op.drop_table('cockpit_region_figures')
    op.drop_table('cockpit_fund_months')
