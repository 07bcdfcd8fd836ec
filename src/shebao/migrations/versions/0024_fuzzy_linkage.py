"""fuzzy linkage (one person, several numbers): linkage runs, the candidate pairs and their clerical decisions, the
links the comparison's duplicates list reads, and an index on persons by birth date for a registration's check.

Revision ID: 0024
Revises: 0023
Create Date: 2026-11-27
"""
import sqlalchemy as sa
from alembic import op

revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('link_runs',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('province', sa.String(length=6), nullable=False),
    sa.Column('persons', sa.Integer(), nullable=False),
    sa.Column('external', sa.Integer(), nullable=False),
    sa.Column('pairs', sa.Integer(), nullable=False),
    sa.Column('linked', sa.Integer(), nullable=False),
    sa.Column('review', sa.Integer(), nullable=False),
    sa.Column('withdrawn', sa.Integer(), nullable=False),
    sa.Column('trained', sa.Boolean(), nullable=False),
    sa.Column('parameters', sa.Text(), nullable=False),
    sa.Column('model', sa.Text(), nullable=False),
    sa.Column('seconds', sa.Float(), nullable=False),
    sa.Column('run_by', sa.String(length=120), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_link_runs'))
    )
    with op.batch_alter_table('link_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_link_runs_province'), ['province'], unique=False)

    op.create_table('link_candidates',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('province', sa.String(length=6), nullable=False),
    sa.Column('run_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('other_kind', sa.String(length=16), nullable=False),
    sa.Column('other_id', sa.BigInteger(), nullable=False),
    sa.Column('match_probability', sa.Float(), nullable=False),
    sa.Column('match_weight', sa.Float(), nullable=False),
    sa.Column('levels', sa.String(length=300), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('found_by', sa.String(length=120), nullable=False),
    sa.Column('found_at', sa.DateTime(), nullable=False),
    sa.Column('decided_by', sa.String(length=120), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('decision_reason', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_link_candidates_person_id_persons')),
    sa.ForeignKeyConstraint(['run_id'], ['link_runs.id'], name=op.f('fk_link_candidates_run_id_link_runs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_link_candidates')),
    sa.UniqueConstraint('person_id', 'other_kind', 'other_id', name=op.f('uq_link_candidates_person_id_other_kind_other_id'))
    )
    with op.batch_alter_table('link_candidates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_link_candidates_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_link_candidates_province'), ['province'], unique=False)
        batch_op.create_index(batch_op.f('ix_link_candidates_run_id'), ['run_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_link_candidates_status'), ['status'], unique=False)

    op.create_table('person_links',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('candidate_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('person_id_a', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('person_id_b', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('ext_population_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('match_probability', sa.Float(), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('method', sa.String(length=10), nullable=False),
    sa.Column('confirmed_by', sa.String(length=120), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['candidate_id'], ['link_candidates.id'], name=op.f('fk_person_links_candidate_id_link_candidates')),
    sa.ForeignKeyConstraint(['ext_population_id'], ['ext_population.id'], name=op.f('fk_person_links_ext_population_id_ext_population')),
    sa.ForeignKeyConstraint(['person_id_a'], ['persons.id'], name=op.f('fk_person_links_person_id_a_persons')),
    sa.ForeignKeyConstraint(['person_id_b'], ['persons.id'], name=op.f('fk_person_links_person_id_b_persons')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_person_links')),
    sa.UniqueConstraint('candidate_id', name=op.f('uq_person_links_candidate_id'))
    )
    with op.batch_alter_table('person_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_person_links_ext_population_id'), ['ext_population_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_person_links_person_id_a'), ['person_id_a'], unique=False)
        batch_op.create_index(batch_op.f('ix_person_links_person_id_b'), ['person_id_b'], unique=False)

    with op.batch_alter_table('persons', schema=None) as batch_op:
        batch_op.create_index('ix_persons_birth_date_sex', ['birth_date', 'sex'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('persons', schema=None) as batch_op:
        batch_op.drop_index('ix_persons_birth_date_sex')

    with op.batch_alter_table('person_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_person_links_person_id_b'))
        batch_op.drop_index(batch_op.f('ix_person_links_person_id_a'))
        batch_op.drop_index(batch_op.f('ix_person_links_ext_population_id'))

    op.drop_table('person_links')
    with op.batch_alter_table('link_candidates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_link_candidates_status'))
        batch_op.drop_index(batch_op.f('ix_link_candidates_run_id'))
        batch_op.drop_index(batch_op.f('ix_link_candidates_province'))
        batch_op.drop_index(batch_op.f('ix_link_candidates_person_id'))

    op.drop_table('link_candidates')
    with op.batch_alter_table('link_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_link_runs_province'))

    op.drop_table('link_runs')
