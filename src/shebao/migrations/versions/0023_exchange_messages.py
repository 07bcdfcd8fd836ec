"""exchange messages: partners (departments with their Ed25519 keys and agreements), every message received (replay
and idempotency), the deaths and births they push, their subscriptions, and the outbox with every delivery attempt.

Revision ID: 0023
Revises: 0022
Create Date: 2026-11-27
"""
import sqlalchemy as sa
from alembic import op

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('exchange_partners',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('code', sa.String(length=100), nullable=False),
    sa.Column('name_zh', sa.String(length=100), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=False),
    sa.Column('department', sa.String(length=20), nullable=False),
    sa.Column('public_key', sa.String(length=64), nullable=False),
    sa.Column('key_id', sa.String(length=64), nullable=False),
    sa.Column('callback_url', sa.String(length=500), nullable=True),
    sa.Column('agreement', sa.String(length=400), nullable=False),
    sa.Column('region_code', sa.String(length=9), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('registered_by', sa.String(length=120), nullable=False),
    sa.Column('registered_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exchange_partners')),
    sa.UniqueConstraint('code', name=op.f('uq_exchange_partners_code'))
    )
    op.create_table('outbox_messages',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('channel', sa.String(length=8), nullable=False),
    sa.Column('recipient', sa.String(length=200), nullable=False),
    sa.Column('subject_kind', sa.String(length=30), nullable=False),
    sa.Column('subject_id', sa.BigInteger(), nullable=True),
    sa.Column('body_zh', sa.Text(), nullable=False),
    sa.Column('body_en', sa.Text(), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=True),
    sa.Column('idempotency_key', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=False),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_messages')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_outbox_messages_idempotency_key'))
    )
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_messages_status_next_attempt_at', ['status', 'next_attempt_at'], unique=False)

    op.create_table('exchange_messages',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('partner_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('message_id', sa.String(length=100), nullable=False),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('transaction_id', sa.String(length=100), nullable=False),
    sa.Column('answer', sa.JSON(), nullable=True),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['partner_id'], ['exchange_partners.id'], name=op.f('fk_exchange_messages_partner_id_exchange_partners')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exchange_messages')),
    sa.UniqueConstraint('partner_id', 'message_id', name=op.f('uq_exchange_messages_partner_id_message_id'))
    )
    op.create_table('exchange_subscriptions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('partner_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('change_kind', sa.String(length=20), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('announced_through', sa.DateTime(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('ended_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['partner_id'], ['exchange_partners.id'], name=op.f('fk_exchange_subscriptions_partner_id_exchange_partners')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exchange_subscriptions')),
    sa.UniqueConstraint('code', name=op.f('uq_exchange_subscriptions_code')),
    sa.UniqueConstraint('partner_id', 'change_kind', name=op.f('uq_exchange_subscriptions_partner_id_change_kind'))
    )
    op.create_table('outbox_deliveries',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('message_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('attempted_at', sa.DateTime(), nullable=False),
    sa.Column('result', sa.String(length=8), nullable=False),
    sa.Column('detail', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['outbox_messages.id'], name=op.f('fk_outbox_deliveries_message_id_outbox_messages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_deliveries'))
    )
    with op.batch_alter_table('outbox_deliveries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_deliveries_message_id'), ['message_id'], unique=False)

    op.create_table('exchange_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('partner_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('reference_id', sa.String(length=100), nullable=False),
    sa.Column('event_type', sa.String(length=10), nullable=False),
    sa.Column('id_hash', sa.String(length=64), nullable=True),
    sa.Column('person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('event_date', sa.Date(), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('outcome_reason', sa.String(length=300), nullable=False),
    sa.Column('outcome_reason_en', sa.String(length=300), nullable=False),
    sa.Column('import_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('message_row_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['import_id'], ['exchange_imports.id'], name=op.f('fk_exchange_events_import_id_exchange_imports')),
    sa.ForeignKeyConstraint(['message_row_id'], ['exchange_messages.id'], name=op.f('fk_exchange_events_message_row_id_exchange_messages')),
    sa.ForeignKeyConstraint(['partner_id'], ['exchange_partners.id'], name=op.f('fk_exchange_events_partner_id_exchange_partners')),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_exchange_events_person_id_persons')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exchange_events')),
    sa.UniqueConstraint('partner_id', 'reference_id', name=op.f('uq_exchange_events_partner_id_reference_id'))
    )
    with op.batch_alter_table('exchange_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exchange_events_id_hash'), ['id_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_exchange_events_person_id'), ['person_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('exchange_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exchange_events_person_id'))
        batch_op.drop_index(batch_op.f('ix_exchange_events_id_hash'))

    op.drop_table('exchange_events')
    with op.batch_alter_table('outbox_deliveries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_deliveries_message_id'))

    op.drop_table('outbox_deliveries')
    op.drop_table('exchange_subscriptions')
    op.drop_table('exchange_messages')
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_messages_status_next_attempt_at')

    op.drop_table('outbox_messages')
    op.drop_table('exchange_partners')
