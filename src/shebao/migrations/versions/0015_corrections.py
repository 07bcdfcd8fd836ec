"""contributions: retroactive corrections — assessment versions (version, correction_id, superseded_by; the
unique key takes the version), correction bills (bills.correction_id), payments that are a correction's credit
(payments.method), and the corrections table

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-26
"""
import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    with op.batch_alter_table('assessments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), nullable=False, server_default='1'))
        batch_op.add_column(sa.Column('correction_id', BigId, nullable=True))
        batch_op.add_column(sa.Column('superseded_by', BigId, nullable=True))
        batch_op.drop_constraint('uq_assessments_period_payer_kind_payer_id_person_id', type_='unique')
        batch_op.create_unique_constraint('uq_assessments_period_payer_kind_payer_id_person_id_version',
                                          ['period', 'payer_kind', 'payer_id', 'person_id', 'version'])
    with op.batch_alter_table('bills', schema=None) as batch_op:
        batch_op.add_column(sa.Column('correction_id', BigId, nullable=True))
        batch_op.create_index('ix_bills_correction', ['correction_id'], unique=False)
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('method', sa.String(length=10), nullable=False, server_default='bank'))
    op.create_table(
        'corrections',
        sa.Column('id', BigId, nullable=False),
        sa.Column('province', sa.String(length=6), nullable=False),
        sa.Column('cause', sa.String(length=20), nullable=False),
        sa.Column('reason', sa.String(length=200), nullable=False),
        sa.Column('first_period', sa.String(length=6), nullable=False),
        sa.Column('last_period', sa.String(length=6), nullable=False),
        sa.Column('posted_period', sa.String(length=6), nullable=False),
        sa.Column('persons', sa.Integer(), nullable=False),
        sa.Column('months', sa.Integer(), nullable=False),
        sa.Column('difference_fen', sa.BigInteger(), nullable=False),
        sa.Column('reverses', BigId, nullable=True),
        sa.Column('actor', sa.String(length=120), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_corrections')),
    )
    op.create_index('ix_corrections_province', 'corrections', ['province', 'created_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_corrections_province', table_name='corrections')
    op.drop_table('corrections')
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_column('method')
    with op.batch_alter_table('bills', schema=None) as batch_op:
        batch_op.drop_index('ix_bills_correction')
        batch_op.drop_column('correction_id')
    with op.batch_alter_table('assessments', schema=None) as batch_op:
        batch_op.drop_constraint('uq_assessments_period_payer_kind_payer_id_person_id_version', type_='unique')
        batch_op.create_unique_constraint('uq_assessments_period_payer_kind_payer_id_person_id',
                                          ['period', 'payer_kind', 'payer_id', 'person_id'])
        batch_op.drop_column('superseded_by')
        batch_op.drop_column('correction_id')
        batch_op.drop_column('version')
