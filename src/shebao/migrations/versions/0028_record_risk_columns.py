"""risk (record and staff rules): what the screening of records needs and the register did not hold — a keyed hash of
the phone number (one phone shared by many claimants), the household number from the police register (a clerk acting
on a family member's record), and the special-work ground's kind and months on a retirement application.

Revision ID: 0028
Revises: 0027
Create Date: 2026-11-27
"""
import sqlalchemy as sa
from alembic import op

revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None


# Plain ALTER TABLE, not batch mode: on SQLite a batch copy of `persons` would be refused by the triggers that name
# it (payroll_lines_never_pay_the_dead); SQLite adds and (from 3.35) drops a column in place.
def upgrade() -> None:
    op.add_column('persons', sa.Column('phone_hash', sa.String(length=64), nullable=True))
    op.add_column('persons', sa.Column('household_number', sa.String(length=32), nullable=True))
    op.create_index('ix_persons_phone_hash', 'persons', ['phone_hash'], unique=False)
    op.create_index('ix_persons_household_number', 'persons', ['household_number'], unique=False)
    op.add_column('retirement_applications', sa.Column('special_work_kind', sa.String(length=30), nullable=True))
    op.add_column('retirement_applications', sa.Column('special_work_months', sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column('retirement_applications', 'special_work_months')
    op.drop_column('retirement_applications', 'special_work_kind')
    op.drop_index('ix_persons_household_number', table_name='persons')
    op.drop_index('ix_persons_phone_hash', table_name='persons')
    op.drop_column('persons', 'household_number')
    op.drop_column('persons', 'phone_hash')
