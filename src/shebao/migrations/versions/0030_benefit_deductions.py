"""benefits: debts the pension payroll takes back from later payments (a recovered overpayment), and each take.

Revision ID: 0030
Revises: 0029
Create Date: 2026-11-27
"""
import sqlalchemy as sa
from alembic import op

revision = '0030'
down_revision = '0029'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('benefit_deductions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('province', sa.String(length=6), nullable=False),
    sa.Column('source', sa.String(length=30), nullable=False),
    sa.Column('source_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('owed_fen', sa.BigInteger(), nullable=False),
    sa.Column('share', sa.String(length=12), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_benefit_deductions_person_id_persons')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_benefit_deductions')),
    sa.UniqueConstraint('source', 'source_id', name=op.f('uq_benefit_deductions_source_source_id'))
    )
    with op.batch_alter_table('benefit_deductions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_benefit_deductions_person_id'), ['person_id'], unique=False)

    op.create_table('benefit_deduction_takes',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('deduction_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('payroll_line_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('period', sa.String(length=6), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('entry_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['deduction_id'], ['benefit_deductions.id'], name=op.f('fk_benefit_deduction_takes_deduction_id_benefit_deductions')),
    sa.ForeignKeyConstraint(['payroll_line_id'], ['payroll_lines.id'], name=op.f('fk_benefit_deduction_takes_payroll_line_id_payroll_lines')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_benefit_deduction_takes')),
    sa.UniqueConstraint('deduction_id', 'payroll_line_id', name=op.f('uq_benefit_deduction_takes_deduction_id_payroll_line_id'))
    )
    with op.batch_alter_table('benefit_deduction_takes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_benefit_deduction_takes_deduction_id'), ['deduction_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_benefit_deduction_takes_payroll_line_id'), ['payroll_line_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('benefit_deduction_takes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_benefit_deduction_takes_payroll_line_id'))
        batch_op.drop_index(batch_op.f('ix_benefit_deduction_takes_deduction_id'))

    op.drop_table('benefit_deduction_takes')
    with op.batch_alter_table('benefit_deductions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_benefit_deductions_person_id'))

    op.drop_table('benefit_deductions')
