"""enrollment: participations in each insurance and their events

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""
import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('participations',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('scheme', sa.String(length=20), nullable=False),
    sa.Column('exclusion_group', sa.String(length=20), nullable=False),
    sa.Column('mode', sa.String(length=10), nullable=False),
    sa.Column('employer_id', sa.Integer(), nullable=True),
    sa.Column('region_code', sa.String(length=9), nullable=False),
    sa.Column('province', sa.String(length=6), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['employer_id'], ['employers.id'], name=op.f('fk_participations_employer_id_employers')),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_participations_person_id_persons')),
    sa.ForeignKeyConstraint(['region_code'], ['regions.code'], name=op.f('fk_participations_region_code_regions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_participations'))
    )
    with op.batch_alter_table('participations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_participations_employer_id'), ['employer_id'], unique=False)
        batch_op.create_index('ix_participations_person_group', ['person_id', 'exclusion_group'], unique=False)
        batch_op.create_index('ix_participations_province_status', ['province', 'status'], unique=False)

    op.create_table('participation_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('participation_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('event', sa.String(length=10), nullable=False),
    sa.Column('on', sa.Date(), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['participation_id'], ['participations.id'], name=op.f('fk_participation_events_participation_id_participations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_participation_events'))
    )
    with op.batch_alter_table('participation_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_participation_events_participation_id'), ['participation_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('participation_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_participation_events_participation_id'))

    op.drop_table('participation_events')
    with op.batch_alter_table('participations', schema=None) as batch_op:
        batch_op.drop_index('ix_participations_province_status')
        batch_op.drop_index('ix_participations_person_group')
        batch_op.drop_index(batch_op.f('ix_participations_employer_id'))

    op.drop_table('participations')
