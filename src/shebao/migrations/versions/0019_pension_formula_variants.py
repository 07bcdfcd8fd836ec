"""benefits: months paid before the personal account opened and the transitional index kept on the award (the
second index also on the application, where the archive records one), the divisor kept in 600ths of a month (exact by month and as forms round it, to tenths), and
pension_recalculations — awards made on a provisional calculation wage, recomputed when the wage is published

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-27
"""
import sqlalchemy as sa
from alembic import op

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('pension_awards') as batch:
        batch.alter_column('divisor_twelfths', new_column_name='divisor_units')
        batch.add_column(sa.Column('pre_account_months', sa.Integer(), nullable=False, server_default='0'))
        batch.add_column(sa.Column('transitional_index_ten_thousandths', sa.Integer(), nullable=False, server_default='0'))
        batch.add_column(sa.Column('local_extras_fen', sa.BigInteger(), nullable=False, server_default='0'))
        batch.add_column(sa.Column('notional_account_fen', sa.BigInteger(), nullable=False, server_default='0'))
    op.execute("UPDATE pension_awards SET divisor_units = divisor_units * 50, "
               "transitional_index_ten_thousandths = index_ten_thousandths")
    with op.batch_alter_table('retirement_applications') as batch:
        batch.add_column(sa.Column('transitional_index_ten_thousandths', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('notional_account_fen', sa.BigInteger(), nullable=True))
    op.create_table(
        'pension_recalculations',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('award_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('province', sa.String(length=6), nullable=False),
        sa.Column('cause', sa.String(length=60), nullable=False),
        sa.Column('wage_before_fen', sa.BigInteger(), nullable=False),
        sa.Column('wage_after_fen', sa.BigInteger(), nullable=False),
        sa.Column('awarded_before_fen', sa.BigInteger(), nullable=False),
        sa.Column('awarded_after_fen', sa.BigInteger(), nullable=False),
        sa.Column('recalculated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['award_id'], ['pension_awards.id'], name=op.f('fk_pension_recalculations_award_id_pension_awards')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_pension_recalculations')),
        sa.UniqueConstraint('award_id', 'cause', name=op.f('uq_pension_recalculations_award_id_cause')),
    )


def downgrade() -> None:
    op.drop_table('pension_recalculations')
    with op.batch_alter_table('retirement_applications') as batch:
        batch.drop_column('notional_account_fen')
        batch.drop_column('transitional_index_ten_thousandths')
    op.execute("UPDATE pension_awards SET divisor_units = divisor_units / 50")
    with op.batch_alter_table('pension_awards') as batch:
        batch.drop_column('pre_account_months')
        batch.drop_column('transitional_index_ten_thousandths')
        batch.drop_column('local_extras_fen')
        batch.drop_column('notional_account_fen')
        batch.alter_column('divisor_units', new_column_name='divisor_twelfths')
