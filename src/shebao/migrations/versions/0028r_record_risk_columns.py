"""risk (record and staff rules): what the screening of records needs and the register did not hold — a keyed hash of
the phone number (one phone shared by many claimants), the household number from the police register (a clerk acting
on a family member's record), and the special-work ground's kind and months on a retirement application.

Revision ID: 0028r
Revises: 0027
Create Date: 2026-11-27
"""
import sqlalchemy as sa
from alembic import op

revision = '0028r'
down_revision = '0027'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('persons', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phone_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('household_number', sa.String(length=32), nullable=True))
        batch_op.create_index('ix_persons_phone_hash', ['phone_hash'], unique=False)
        batch_op.create_index('ix_persons_household_number', ['household_number'], unique=False)

    with op.batch_alter_table('retirement_applications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('special_work_kind', sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column('special_work_months', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('retirement_applications', schema=None) as batch_op:
        batch_op.drop_column('special_work_months')
        batch_op.drop_column('special_work_kind')

    with op.batch_alter_table('persons', schema=None) as batch_op:
        batch_op.drop_index('ix_persons_household_number')
        batch_op.drop_index('ix_persons_phone_hash')
        batch_op.drop_column('household_number')
        batch_op.drop_column('phone_hash')
