"""benefits: a receiver's request for a staff home visit to prove they are alive (visit_requests).

Revision ID: 0033_visit_requests
Revises: 0032
Create Date: 2026-11-27
"""
import sqlalchemy as sa
from alembic import op

revision = '0033_visit_requests'
down_revision = '0032'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('visit_requests',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('requested_at', sa.DateTime(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('handled_by', sa.String(length=120), nullable=True),
    sa.Column('handled_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_visit_requests_person_id_persons')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit_requests'))
    )
    with op.batch_alter_table('visit_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visit_requests_person_id'), ['person_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('visit_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visit_requests_person_id'))
    op.drop_table('visit_requests')
