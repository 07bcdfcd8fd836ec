"""web: one-time form tokens spent (form_submissions), so that a form submitted twice does its work once.

Revision ID: 0032
Revises: 0031
Create Date: 2026-11-27
"""
import sqlalchemy as sa
from alembic import op

revision = '0032'
down_revision = '0031'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('form_submissions',
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('submitted_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('token', name=op.f('pk_form_submissions'))
    )


def downgrade() -> None:
    op.drop_table('form_submissions')
