"""contributions: base declarations, assessments, bills, payments, allocations, batch runs

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""
import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('assessments',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('period', sa.String(length=6), nullable=False),
    sa.Column('province', sa.String(length=6), nullable=False),
    sa.Column('person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('payer_kind', sa.String(length=10), nullable=False),
    sa.Column('payer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('region_code', sa.String(length=9), nullable=False),
    sa.Column('declared_base_fen', sa.BigInteger(), nullable=True),
    sa.Column('used_base_fen', sa.BigInteger(), nullable=False),
    sa.Column('pension_employer_fen', sa.BigInteger(), nullable=False),
    sa.Column('pension_individual_fen', sa.BigInteger(), nullable=False),
    sa.Column('pension_account_fen', sa.BigInteger(), nullable=False),
    sa.Column('medical_employer_fen', sa.BigInteger(), nullable=False),
    sa.Column('medical_individual_fen', sa.BigInteger(), nullable=False),
    sa.Column('unemployment_employer_fen', sa.BigInteger(), nullable=False),
    sa.Column('unemployment_individual_fen', sa.BigInteger(), nullable=False),
    sa.Column('work_injury_employer_fen', sa.BigInteger(), nullable=False),
    sa.Column('maternity_employer_fen', sa.BigInteger(), nullable=False),
    sa.Column('total_fen', sa.BigInteger(), nullable=False),
    sa.Column('run_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('bill_reference', sa.String(length=40), server_default='', nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessments')),
    sa.UniqueConstraint('period', 'payer_kind', 'payer_id', 'person_id', name=op.f('uq_assessments_period_payer_kind_payer_id_person_id'))
    )
    with op.batch_alter_table('assessments', schema=None) as batch_op:
        batch_op.create_index('ix_assessments_person', ['person_id', 'period'], unique=False)

    op.create_table('batch_runs',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('province', sa.String(length=6), nullable=False),
    sa.Column('period', sa.String(length=6), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('chunks_total', sa.Integer(), nullable=False),
    sa.Column('chunks_done', sa.Integer(), nullable=False),
    sa.Column('persons', sa.Integer(), nullable=False),
    sa.Column('bills', sa.Integer(), nullable=False),
    sa.Column('entries', sa.Integer(), nullable=False),
    sa.Column('total_fen', sa.BigInteger(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('duration_ms', sa.BigInteger(), nullable=True),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_batch_runs'))
    )
    with op.batch_alter_table('batch_runs', schema=None) as batch_op:
        batch_op.create_index('ix_batch_runs_kind_province_period', ['kind', 'province', 'period'], unique=False)

    op.create_table('bills',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('period', sa.String(length=6), nullable=False),
    sa.Column('province', sa.String(length=6), nullable=False),
    sa.Column('payer_kind', sa.String(length=10), nullable=False),
    sa.Column('payer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('persons', sa.Integer(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('reference', sa.String(length=40), server_default='', nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bills')),
    sa.UniqueConstraint('period', 'payer_kind', 'payer_id', 'kind', 'reference', name=op.f('uq_bills_period_payer_kind_payer_id_kind_reference'))
    )
    with op.batch_alter_table('bills', schema=None) as batch_op:
        batch_op.create_index('ix_bills_payer', ['payer_kind', 'payer_id', 'period'], unique=False)
        batch_op.create_index('ix_bills_province_period', ['province', 'period'], unique=False)

    op.create_table('payments',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('idempotency_key', sa.String(length=128), nullable=False),
    sa.Column('payer_kind', sa.String(length=10), nullable=False),
    sa.Column('payer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('province', sa.String(length=6), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('recorded_by', sa.String(length=120), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payments')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_payments_idempotency_key'))
    )
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.create_index('ix_payments_payer', ['payer_kind', 'payer_id'], unique=False)

    op.create_table('payment_allocations',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('payment_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('bill_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('principal_fen', sa.BigInteger(), nullable=False),
    sa.Column('late_fee_fen', sa.BigInteger(), nullable=False),
    sa.Column('days_late', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['bill_id'], ['bills.id'], name=op.f('fk_payment_allocations_bill_id_bills')),
    sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], name=op.f('fk_payment_allocations_payment_id_payments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_allocations'))
    )
    with op.batch_alter_table('payment_allocations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_allocations_bill_id'), ['bill_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payment_allocations_payment_id'), ['payment_id'], unique=False)

    op.create_table('base_declarations',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('payer_kind', sa.String(length=10), nullable=False),
    sa.Column('payer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('effective_period', sa.String(length=6), nullable=False),
    sa.Column('declared_base_fen', sa.BigInteger(), nullable=False),
    sa.Column('declared_by', sa.String(length=120), nullable=False),
    sa.Column('declared_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_base_declarations_person_id_persons')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_base_declarations')),
    sa.UniqueConstraint('person_id', 'payer_kind', 'payer_id', 'effective_period', name=op.f('uq_base_declarations_person_id_payer_kind_payer_id_effective_period'))
    )


def downgrade() -> None:
    op.drop_table('base_declarations')
    with op.batch_alter_table('payment_allocations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payment_allocations_payment_id'))
        batch_op.drop_index(batch_op.f('ix_payment_allocations_bill_id'))

    op.drop_table('payment_allocations')
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_index('ix_payments_payer')

    op.drop_table('payments')
    with op.batch_alter_table('bills', schema=None) as batch_op:
        batch_op.drop_index('ix_bills_province_period')
        batch_op.drop_index('ix_bills_payer')

    op.drop_table('bills')
    with op.batch_alter_table('batch_runs', schema=None) as batch_op:
        batch_op.drop_index('ix_batch_runs_kind_province_period')

    op.drop_table('batch_runs')
    with op.batch_alter_table('assessments', schema=None) as batch_op:
        batch_op.drop_index('ix_assessments_person')

    op.drop_table('assessments')
