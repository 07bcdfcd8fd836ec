"""exchange imports: other departments' registries (household register, deaths, prisoners, enterprises, tax
employment, students), each import recorded with its checksum and counts.

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-27
"""
import sqlalchemy as sa
from alembic import op

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('exchange_imports',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('checksum', sa.String(length=64), nullable=False),
    sa.Column('file_format', sa.String(length=8), nullable=False),
    sa.Column('encoding', sa.String(length=12), nullable=False),
    sa.Column('hash_key_fingerprint', sa.String(length=16), nullable=True),
    sa.Column('rows_read', sa.Integer(), nullable=False),
    sa.Column('rows_loaded', sa.Integer(), nullable=False),
    sa.Column('rows_rejected', sa.Integer(), nullable=False),
    sa.Column('imported_by', sa.String(length=120), nullable=False),
    sa.Column('imported_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exchange_imports')),
    sa.UniqueConstraint('checksum', name=op.f('uq_exchange_imports_checksum'))
    )
    op.create_table('ext_deaths',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('import_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('id_hash', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('death_date', sa.Date(), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['import_id'], ['exchange_imports.id'], name=op.f('fk_ext_deaths_import_id_exchange_imports')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ext_deaths'))
    )
    with op.batch_alter_table('ext_deaths', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ext_deaths_id_hash'), ['id_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_ext_deaths_import_id'), ['import_id'], unique=False)

    op.create_table('ext_enterprises',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('import_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('uscc', sa.String(length=18), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('region', sa.String(length=9), nullable=False),
    sa.Column('established', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.ForeignKeyConstraint(['import_id'], ['exchange_imports.id'], name=op.f('fk_ext_enterprises_import_id_exchange_imports')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ext_enterprises'))
    )
    with op.batch_alter_table('ext_enterprises', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ext_enterprises_import_id'), ['import_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ext_enterprises_uscc'), ['uscc'], unique=False)

    op.create_table('ext_population',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('import_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('id_hash', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('sex', sa.String(length=1), nullable=False),
    sa.Column('birth_date', sa.Date(), nullable=False),
    sa.Column('hukou_region', sa.String(length=9), nullable=False),
    sa.Column('residence_region', sa.String(length=9), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.ForeignKeyConstraint(['import_id'], ['exchange_imports.id'], name=op.f('fk_ext_population_import_id_exchange_imports')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ext_population'))
    )
    with op.batch_alter_table('ext_population', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ext_population_id_hash'), ['id_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_ext_population_import_id'), ['import_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ext_population_residence_region'), ['residence_region'], unique=False)

    op.create_table('ext_prisoners',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('import_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('id_hash', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('from_date', sa.Date(), nullable=False),
    sa.Column('to_date', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['import_id'], ['exchange_imports.id'], name=op.f('fk_ext_prisoners_import_id_exchange_imports')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ext_prisoners'))
    )
    with op.batch_alter_table('ext_prisoners', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ext_prisoners_id_hash'), ['id_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_ext_prisoners_import_id'), ['import_id'], unique=False)

    op.create_table('ext_students',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('import_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('id_hash', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('school', sa.String(length=200), nullable=False),
    sa.Column('until', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['import_id'], ['exchange_imports.id'], name=op.f('fk_ext_students_import_id_exchange_imports')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ext_students'))
    )
    with op.batch_alter_table('ext_students', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ext_students_id_hash'), ['id_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_ext_students_import_id'), ['import_id'], unique=False)

    op.create_table('ext_tax_employment',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('import_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('uscc', sa.String(length=18), nullable=False),
    sa.Column('id_hash', sa.String(length=64), nullable=False),
    sa.Column('period', sa.String(length=6), nullable=False),
    sa.Column('wage_fen', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['import_id'], ['exchange_imports.id'], name=op.f('fk_ext_tax_employment_import_id_exchange_imports')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ext_tax_employment'))
    )
    with op.batch_alter_table('ext_tax_employment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ext_tax_employment_import_id'), ['import_id'], unique=False)
        batch_op.create_index('ix_ext_tax_employment_uscc_period', ['uscc', 'period'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('ext_tax_employment', schema=None) as batch_op:
        batch_op.drop_index('ix_ext_tax_employment_uscc_period')
        batch_op.drop_index(batch_op.f('ix_ext_tax_employment_import_id'))

    op.drop_table('ext_tax_employment')
    with op.batch_alter_table('ext_students', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ext_students_import_id'))
        batch_op.drop_index(batch_op.f('ix_ext_students_id_hash'))

    op.drop_table('ext_students')
    with op.batch_alter_table('ext_prisoners', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ext_prisoners_import_id'))
        batch_op.drop_index(batch_op.f('ix_ext_prisoners_id_hash'))

    op.drop_table('ext_prisoners')
    with op.batch_alter_table('ext_population', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ext_population_residence_region'))
        batch_op.drop_index(batch_op.f('ix_ext_population_import_id'))
        batch_op.drop_index(batch_op.f('ix_ext_population_id_hash'))

    op.drop_table('ext_population')
    with op.batch_alter_table('ext_enterprises', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ext_enterprises_uscc'))
        batch_op.drop_index(batch_op.f('ix_ext_enterprises_import_id'))

    op.drop_table('ext_enterprises')
    with op.batch_alter_table('ext_deaths', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ext_deaths_import_id'))
        batch_op.drop_index(batch_op.f('ix_ext_deaths_id_hash'))

    op.drop_table('ext_deaths')
    op.drop_table('exchange_imports')
