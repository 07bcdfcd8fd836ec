"""risk: each screening of a province through the after-the-fact rules, the cases its findings open (one per rule
and finding, ever), what was done on each, evidence filed, recoveries and their steps, and blocked attempts.

Revision ID: 0027
Revises: 0026
Create Date: 2026-11-27
"""
import sqlalchemy as sa
from alembic import op

revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('risk_blocked_attempts',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('rule_id', sa.String(length=48), nullable=False),
    sa.Column('use_case', sa.String(length=60), nullable=False),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('region_code', sa.String(length=9), nullable=True),
    sa.Column('person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('subject', sa.String(length=120), nullable=False),
    sa.Column('reason_zh', sa.String(length=500), nullable=False),
    sa.Column('reason_en', sa.String(length=500), nullable=False),
    sa.Column('details', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_risk_blocked_attempts'))
    )
    with op.batch_alter_table('risk_blocked_attempts', schema=None) as batch_op:
        batch_op.create_index('ix_risk_blocked_attempts_region_at', ['region_code', 'at'], unique=False)

    op.create_table('risk_screening_runs',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('province', sa.String(length=6), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('counts', sa.Text(), nullable=False),
    sa.Column('timings_ms', sa.Text(), nullable=False),
    sa.Column('findings', sa.Integer(), nullable=False),
    sa.Column('cases_opened', sa.Integer(), nullable=False),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_risk_screening_runs'))
    )
    with op.batch_alter_table('risk_screening_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_risk_screening_runs_province'), ['province'], unique=False)

    op.create_table('risk_cases',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('rule_id', sa.String(length=48), nullable=False),
    sa.Column('finding_key', sa.String(length=160), nullable=False),
    sa.Column('province', sa.String(length=6), nullable=False),
    sa.Column('region_code', sa.String(length=9), nullable=False),
    sa.Column('subject_kind', sa.String(length=10), nullable=False),
    sa.Column('person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('employer_id', sa.Integer(), nullable=True),
    sa.Column('staff_actor', sa.String(length=120), nullable=True),
    sa.Column('severity', sa.String(length=10), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('period_from', sa.String(length=6), nullable=True),
    sa.Column('period_to', sa.String(length=6), nullable=True),
    sa.Column('details', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=14), nullable=False),
    sa.Column('assigned_to', sa.String(length=120), nullable=True),
    sa.Column('conclusion_reason', sa.String(length=500), nullable=True),
    sa.Column('overpaid_fen', sa.BigInteger(), nullable=True),
    sa.Column('opened_run_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('last_seen_run_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('opened_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('concluded_by', sa.String(length=120), nullable=True),
    sa.Column('concluded_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['opened_run_id'], ['risk_screening_runs.id'], name=op.f('fk_risk_cases_opened_run_id_risk_screening_runs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_risk_cases')),
    sa.UniqueConstraint('rule_id', 'finding_key', name=op.f('uq_risk_cases_rule_id_finding_key'))
    )
    with op.batch_alter_table('risk_cases', schema=None) as batch_op:
        batch_op.create_index('ix_risk_cases_person_id', ['person_id'], unique=False)
        batch_op.create_index('ix_risk_cases_province_status_region', ['province', 'status', 'region_code'], unique=False)

    op.create_table('risk_case_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('case_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('note', sa.String(length=2000), nullable=False),
    sa.Column('run_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['risk_cases.id'], name=op.f('fk_risk_case_events_case_id_risk_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_risk_case_events'))
    )
    with op.batch_alter_table('risk_case_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_risk_case_events_case_id'), ['case_id'], unique=False)

    op.create_table('risk_evidence',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('case_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('file_name', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['risk_cases.id'], name=op.f('fk_risk_evidence_case_id_risk_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_risk_evidence'))
    )
    with op.batch_alter_table('risk_evidence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_risk_evidence_case_id'), ['case_id'], unique=False)

    op.create_table('risk_recoveries',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('case_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('region_code', sa.String(length=9), nullable=False),
    sa.Column('debtor', sa.String(length=8), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('recovered_fen', sa.BigInteger(), nullable=False),
    sa.Column('written_off_fen', sa.BigInteger(), nullable=False),
    sa.Column('offset_allowed', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('opened_by', sa.String(length=120), nullable=False),
    sa.Column('opened_at', sa.DateTime(), nullable=False),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['risk_cases.id'], name=op.f('fk_risk_recoveries_case_id_risk_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_risk_recoveries')),
    sa.UniqueConstraint('case_id', name=op.f('uq_risk_recoveries_case_id'))
    )
    with op.batch_alter_table('risk_recoveries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_risk_recoveries_person_id'), ['person_id'], unique=False)

    op.create_table('risk_recovery_movements',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('recovery_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('period', sa.String(length=6), nullable=True),
    sa.Column('reference', sa.String(length=120), nullable=True),
    sa.Column('idempotency_key', sa.String(length=120), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['recovery_id'], ['risk_recoveries.id'], name=op.f('fk_risk_recovery_movements_recovery_id_risk_recoveries')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_risk_recovery_movements')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_risk_recovery_movements_idempotency_key'))
    )
    with op.batch_alter_table('risk_recovery_movements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_risk_recovery_movements_recovery_id'), ['recovery_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('risk_recovery_movements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_risk_recovery_movements_recovery_id'))

    op.drop_table('risk_recovery_movements')
    with op.batch_alter_table('risk_recoveries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_risk_recoveries_person_id'))

    op.drop_table('risk_recoveries')
    with op.batch_alter_table('risk_evidence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_risk_evidence_case_id'))

    op.drop_table('risk_evidence')
    with op.batch_alter_table('risk_case_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_risk_case_events_case_id'))

    op.drop_table('risk_case_events')
    with op.batch_alter_table('risk_cases', schema=None) as batch_op:
        batch_op.drop_index('ix_risk_cases_province_status_region')
        batch_op.drop_index('ix_risk_cases_person_id')

    op.drop_table('risk_cases')
    with op.batch_alter_table('risk_screening_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_risk_screening_runs_province'))

    op.drop_table('risk_screening_runs')
    with op.batch_alter_table('risk_blocked_attempts', schema=None) as batch_op:
        batch_op.drop_index('ix_risk_blocked_attempts_region_at')

    op.drop_table('risk_blocked_attempts')
