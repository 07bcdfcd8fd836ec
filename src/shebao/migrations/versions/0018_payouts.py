"""payouts: outgoing bank batches per province, month, bank and source (payroll, refund), their lines, and the
bank's return files. Lines paid before this revision went straight from the benefit payable to cash and have no
payout line; from here on a paid month waits in transit until a second person releases its batch.

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-26
"""
import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('payout_batches',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('province', sa.String(length=6), nullable=False),
    sa.Column('period', sa.String(length=6), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('bank_code', sa.String(length=12), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('line_count', sa.Integer(), nullable=True),
    sa.Column('total_fen', sa.BigInteger(), nullable=True),
    sa.Column('opened_by', sa.String(length=120), nullable=False),
    sa.Column('opened_at', sa.DateTime(), nullable=False),
    sa.Column('prepared_by', sa.String(length=120), nullable=True),
    sa.Column('prepared_at', sa.DateTime(), nullable=True),
    sa.Column('approved_by', sa.String(length=120), nullable=True),
    sa.Column('approved_at', sa.DateTime(), nullable=True),
    sa.Column('release_entry_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payout_batches')),
    sa.UniqueConstraint('province', 'period', 'source', 'bank_code', 'seq', name=op.f('uq_payout_batches_province_period_source_bank_code_seq'))
    )
    with op.batch_alter_table('payout_batches', schema=None) as batch_op:
        batch_op.create_index('ix_payout_batches_province_status', ['province', 'status'], unique=False)

    op.create_table('payout_return_files',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('province', sa.String(length=6), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('file_name', sa.String(length=200), nullable=False),
    sa.Column('lines', sa.Integer(), nullable=False),
    sa.Column('total_fen', sa.BigInteger(), nullable=False),
    sa.Column('imported_by', sa.String(length=120), nullable=False),
    sa.Column('imported_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payout_return_files')),
    sa.UniqueConstraint('province', 'digest', name=op.f('uq_payout_return_files_province_digest'))
    )
    op.create_table('payout_lines',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('batch_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('province', sa.String(length=6), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('source_ref', sa.BigInteger(), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('employer_id', sa.Integer(), nullable=True),
    sa.Column('region_code', sa.String(length=9), nullable=False),
    sa.Column('receiver_name', sa.String(length=100), nullable=False),
    sa.Column('bank_code', sa.String(length=12), nullable=False),
    sa.Column('card_number', sa.String(length=11), nullable=True),
    sa.Column('account_enc', sa.LargeBinary(), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('memo', sa.String(length=60), nullable=False),
    sa.Column('payable_account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('add_entry_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('fixed_by', sa.String(length=120), nullable=True),
    sa.Column('fixed_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['batch_id'], ['payout_batches.id'], name=op.f('fk_payout_lines_batch_id_payout_batches')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payout_lines')),
    sa.UniqueConstraint('source', 'source_ref', 'attempt', name=op.f('uq_payout_lines_source_source_ref_attempt'))
    )
    with op.batch_alter_table('payout_lines', schema=None) as batch_op:
        batch_op.create_index('ix_payout_lines_add_entry_id', ['add_entry_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payout_lines_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index('ix_payout_lines_province_status', ['province', 'status'], unique=False)

    op.create_table('payout_returns',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('file_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('line_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('reason', sa.String(length=20), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('entry_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('returned_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['file_id'], ['payout_return_files.id'], name=op.f('fk_payout_returns_file_id_payout_return_files')),
    sa.ForeignKeyConstraint(['line_id'], ['payout_lines.id'], name=op.f('fk_payout_returns_line_id_payout_lines')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payout_returns')),
    sa.UniqueConstraint('line_id', name=op.f('uq_payout_returns_line_id'))
    )
    with op.batch_alter_table('payout_returns', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payout_returns_file_id'), ['file_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('payout_returns', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payout_returns_file_id'))

    op.drop_table('payout_returns')
    with op.batch_alter_table('payout_lines', schema=None) as batch_op:
        batch_op.drop_index('ix_payout_lines_province_status')
        batch_op.drop_index(batch_op.f('ix_payout_lines_batch_id'))
        batch_op.drop_index('ix_payout_lines_add_entry_id')

    op.drop_table('payout_lines')
    op.drop_table('payout_return_files')
    with op.batch_alter_table('payout_batches', schema=None) as batch_op:
        batch_op.drop_index('ix_payout_batches_province_status')

    op.drop_table('payout_batches')
