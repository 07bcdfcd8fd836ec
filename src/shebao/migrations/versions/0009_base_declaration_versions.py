"""contributions: a declared base is corrected by a new version for the same person, payer and period; the
old version is kept, marked superseded with who corrected it and when

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('base_declarations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('superseded_by', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('superseded_at', sa.DateTime(), nullable=True))
        batch_op.drop_constraint(op.f('uq_base_declarations_person_id_payer_kind_payer_id_effective_period'), type_='unique')
        batch_op.create_unique_constraint('uq_base_declarations_version',
                                          ['person_id', 'payer_kind', 'payer_id', 'effective_period', 'version'])


def downgrade() -> None:
    # Only the newest version of each declaration survives a downgrade: the old key allows one per period.
    op.execute(sa.text(
        "DELETE FROM base_declarations WHERE EXISTS (SELECT 1 FROM base_declarations newer "
        "WHERE newer.person_id = base_declarations.person_id AND newer.payer_kind = base_declarations.payer_kind "
        "AND newer.payer_id = base_declarations.payer_id "
        "AND newer.effective_period = base_declarations.effective_period "
        "AND newer.version > base_declarations.version)"))
    with op.batch_alter_table('base_declarations', schema=None) as batch_op:
        batch_op.drop_constraint('uq_base_declarations_version', type_='unique')
        batch_op.create_unique_constraint(op.f('uq_base_declarations_person_id_payer_kind_payer_id_effective_period'),
                                          ['person_id', 'payer_kind', 'payer_id', 'effective_period'])
        batch_op.drop_column('superseded_at')
        batch_op.drop_column('superseded_by')
        batch_op.drop_column('version')
