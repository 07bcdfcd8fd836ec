"""trust: death reports held for review, survivor benefits offered on a death, the bank's own freeze of a
card reported lost

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26
"""
import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('death_reviews',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('death_date', sa.Date(), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('conflict', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('recorded_by', sa.String(length=120), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.Column('decided_by', sa.String(length=120), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('decision_reason', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_death_reviews_person_id_persons')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_death_reviews'))
    )
    with op.batch_alter_table('death_reviews', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_death_reviews_person_id'), ['person_id'], unique=False)

    op.create_table('survivor_benefits',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('province', sa.String(length=6), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('explanation', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('offered_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_survivor_benefits_person_id_persons')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survivor_benefits')),
    sa.UniqueConstraint('person_id', 'kind', name=op.f('uq_survivor_benefits_person_id_kind'))
    )
    with op.batch_alter_table('survivor_benefits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survivor_benefits_person_id'), ['person_id'], unique=False)

    with op.batch_alter_table('cards', schema=None) as batch_op:
        batch_op.add_column(sa.Column('bank_frozen', sa.Boolean(), server_default=sa.false(), nullable=False))



def downgrade() -> None:
    with op.batch_alter_table('cards', schema=None) as batch_op:
        batch_op.drop_column('bank_frozen')

    with op.batch_alter_table('survivor_benefits', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survivor_benefits_person_id'))

    op.drop_table('survivor_benefits')
    with op.batch_alter_table('death_reviews', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_death_reviews_person_id'))

    op.drop_table('death_reviews')
