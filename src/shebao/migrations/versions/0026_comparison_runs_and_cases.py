"""comparison runs and cases: each run of the lists (its inputs' digest and counts), the rows of its lists, and the
cases the staff of each region work from them, with their history.

Revision ID: 0026
Revises: 0024
Create Date: 2026-11-27
"""
import sqlalchemy as sa
from alembic import op

revision = '0026'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('compare_runs',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('province', sa.String(length=6), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('engine', sa.String(length=10), nullable=False),
    sa.Column('inputs_digest', sa.String(length=64), nullable=False),
    sa.Column('lists_digest', sa.String(length=64), nullable=False),
    sa.Column('counts', sa.Text(), nullable=False),
    sa.Column('cases_opened', sa.Integer(), nullable=False),
    sa.Column('cases_closed', sa.Integer(), nullable=False),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_compare_runs'))
    )
    with op.batch_alter_table('compare_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_compare_runs_province'), ['province'], unique=False)

    op.create_table('compare_cases',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('province', sa.String(length=6), nullable=False),
    sa.Column('list_kind', sa.String(length=24), nullable=False),
    sa.Column('finding_key', sa.String(length=120), nullable=False),
    sa.Column('open_key', sa.String(length=150), nullable=True),
    sa.Column('region_code', sa.String(length=9), nullable=False),
    sa.Column('person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('employer_id', sa.Integer(), nullable=True),
    sa.Column('uscc', sa.String(length=18), nullable=True),
    sa.Column('name', sa.String(length=100), nullable=True),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=True),
    sa.Column('opened_run_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('last_seen_run_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('opened_at', sa.DateTime(), nullable=False),
    sa.Column('worked_by', sa.String(length=120), nullable=True),
    sa.Column('worked_at', sa.DateTime(), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['opened_run_id'], ['compare_runs.id'], name=op.f('fk_compare_cases_opened_run_id_compare_runs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_compare_cases')),
    sa.UniqueConstraint('open_key', name=op.f('uq_compare_cases_open_key'))
    )
    with op.batch_alter_table('compare_cases', schema=None) as batch_op:
        batch_op.create_index('ix_compare_cases_kind_key', ['list_kind', 'finding_key'], unique=False)
        batch_op.create_index('ix_compare_cases_province_status_region', ['province', 'status', 'region_code'], unique=False)

    op.create_table('compare_findings',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('run_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('list_kind', sa.String(length=24), nullable=False),
    sa.Column('finding_key', sa.String(length=120), nullable=False),
    sa.Column('region_code', sa.String(length=9), nullable=False),
    sa.Column('person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('id_hash', sa.String(length=64), nullable=True),
    sa.Column('name', sa.String(length=100), nullable=True),
    sa.Column('uscc', sa.String(length=18), nullable=True),
    sa.Column('employer_id', sa.Integer(), nullable=True),
    sa.Column('period', sa.String(length=6), nullable=True),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('months', sa.Integer(), nullable=False),
    sa.Column('people_reported', sa.Integer(), nullable=False),
    sa.Column('people_insured', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['compare_runs.id'], name=op.f('fk_compare_findings_run_id_compare_runs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_compare_findings'))
    )
    with op.batch_alter_table('compare_findings', schema=None) as batch_op:
        batch_op.create_index('ix_compare_findings_run_kind_region', ['run_id', 'list_kind', 'region_code'], unique=False)

    op.create_table('compare_case_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('case_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('action', sa.String(length=12), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('run_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['compare_cases.id'], name=op.f('fk_compare_case_events_case_id_compare_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_compare_case_events'))
    )
    with op.batch_alter_table('compare_case_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_compare_case_events_case_id'), ['case_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('compare_case_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_compare_case_events_case_id'))

    op.drop_table('compare_case_events')
    with op.batch_alter_table('compare_findings', schema=None) as batch_op:
        batch_op.drop_index('ix_compare_findings_run_kind_region')

    op.drop_table('compare_findings')
    with op.batch_alter_table('compare_cases', schema=None) as batch_op:
        batch_op.drop_index('ix_compare_cases_province_status_region')
        batch_op.drop_index('ix_compare_cases_kind_key')

    op.drop_table('compare_cases')
    with op.batch_alter_table('compare_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_compare_runs_province'))

    op.drop_table('compare_runs')
