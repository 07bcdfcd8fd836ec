"""transfers: transfers between provinces and their steps, what each insurance carries, temporary accounts, and
what the person was told at each step.

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-27
"""
import sqlalchemy as sa
from alembic import op

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('transfers',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('from_province', sa.String(length=6), nullable=False),
    sa.Column('to_province', sa.String(length=6), nullable=False),
    sa.Column('to_region', sa.String(length=9), nullable=False),
    sa.Column('step', sa.String(length=12), nullable=False),
    sa.Column('open_key', sa.String(length=32), nullable=True),
    sa.Column('channel', sa.String(length=8), nullable=False),
    sa.Column('applied_on', sa.Date(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('direction', sa.String(length=12), nullable=True),
    sa.Column('months_counted', sa.Integer(), nullable=False),
    sa.Column('base_sum_fen', sa.BigInteger(), nullable=False),
    sa.Column('pooled_fen', sa.BigInteger(), nullable=False),
    sa.Column('personal_account_fen', sa.BigInteger(), nullable=False),
    sa.Column('sent_entry_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('received_entry_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('refused_reason', sa.String(length=200), nullable=False),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_transfers_person_id_persons')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transfers')),
    sa.UniqueConstraint('open_key', name=op.f('uq_transfers_open_key'))
    )
    with op.batch_alter_table('transfers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transfers_from_province'), ['from_province'], unique=False)
        batch_op.create_index(batch_op.f('ix_transfers_person_id'), ['person_id'], unique=False)
        batch_op.create_index('ix_transfers_step_due', ['step', 'due_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_transfers_to_province'), ['to_province'], unique=False)

    op.create_table('temporary_accounts',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('province', sa.String(length=6), nullable=False),
    sa.Column('relationship_province', sa.String(length=6), nullable=False),
    sa.Column('opened_on', sa.Date(), nullable=False),
    sa.Column('opened_by_transfer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('closed_on', sa.Date(), nullable=True),
    sa.Column('gathered_by_transfer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('is_open', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['gathered_by_transfer_id'], ['transfers.id'], name=op.f('fk_temporary_accounts_gathered_by_transfer_id_transfers')),
    sa.ForeignKeyConstraint(['opened_by_transfer_id'], ['transfers.id'], name=op.f('fk_temporary_accounts_opened_by_transfer_id_transfers')),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_temporary_accounts_person_id_persons')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_temporary_accounts'))
    )
    with op.batch_alter_table('temporary_accounts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_temporary_accounts_person_id'), ['person_id'], unique=False)

    op.create_table('transfer_items',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('transfer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('insurance', sa.String(length=20), nullable=False),
    sa.Column('months', sa.Integer(), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('rule', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['transfer_id'], ['transfers.id'], name=op.f('fk_transfer_items_transfer_id_transfers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transfer_items')),
    sa.UniqueConstraint('transfer_id', 'insurance', name=op.f('uq_transfer_items_transfer_id_insurance'))
    )
    with op.batch_alter_table('transfer_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transfer_items_transfer_id'), ['transfer_id'], unique=False)

    op.create_table('transfer_notices',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('transfer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('step', sa.String(length=12), nullable=False),
    sa.Column('text', sa.String(length=300), nullable=False),
    sa.Column('text_en', sa.String(length=300), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_transfer_notices_person_id_persons')),
    sa.ForeignKeyConstraint(['transfer_id'], ['transfers.id'], name=op.f('fk_transfer_notices_transfer_id_transfers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transfer_notices'))
    )
    with op.batch_alter_table('transfer_notices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transfer_notices_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_transfer_notices_transfer_id'), ['transfer_id'], unique=False)

    op.create_table('transfer_steps',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('transfer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('step', sa.String(length=12), nullable=False),
    sa.Column('on', sa.Date(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('province', sa.String(length=6), nullable=False),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['transfer_id'], ['transfers.id'], name=op.f('fk_transfer_steps_transfer_id_transfers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transfer_steps'))
    )
    with op.batch_alter_table('transfer_steps', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transfer_steps_transfer_id'), ['transfer_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('transfer_steps', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_transfer_steps_transfer_id'))

    op.drop_table('transfer_steps')
    with op.batch_alter_table('transfer_notices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_transfer_notices_transfer_id'))
        batch_op.drop_index(batch_op.f('ix_transfer_notices_person_id'))

    op.drop_table('transfer_notices')
    with op.batch_alter_table('transfer_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_transfer_items_transfer_id'))

    op.drop_table('transfer_items')
    with op.batch_alter_table('temporary_accounts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_temporary_accounts_person_id'))

    op.drop_table('temporary_accounts')
    with op.batch_alter_table('transfers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_transfers_to_province'))
        batch_op.drop_index('ix_transfers_step_due')
        batch_op.drop_index(batch_op.f('ix_transfers_person_id'))
        batch_op.drop_index(batch_op.f('ix_transfers_from_province'))

    op.drop_table('transfers')
