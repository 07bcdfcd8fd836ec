"""benefits: the yearly contribution record, retirement applications and pension awards (one per person),
adjustments, payroll lines, certifications and reminders, recoveries, flags, unemployment, work-injury and
maternity claims, unemployment payments

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25
"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('cards', schema=None) as batch_op:
        batch_op.create_index('ix_cards_person', ['person_id'], unique=False)

    op.create_table('benefit_flags',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('province', sa.String(length=6), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('raised_by', sa.String(length=120), nullable=False),
    sa.Column('raised_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_benefit_flags_person_id_persons')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_benefit_flags'))
    )
    with op.batch_alter_table('benefit_flags', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_benefit_flags_person_id'), ['person_id'], unique=False)

    op.create_table('certifications',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('method', sa.String(length=20), nullable=False),
    sa.Column('certified_on', sa.Date(), nullable=False),
    sa.Column('evidence', sa.String(length=200), nullable=False),
    sa.Column('recorded_by', sa.String(length=120), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_certifications_person_id_persons')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certifications')),
    sa.UniqueConstraint('person_id', 'method', 'certified_on', 'evidence', name=op.f('uq_certifications_person_id_method_certified_on_evidence'))
    )
    with op.batch_alter_table('certifications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certifications_person_id'), ['person_id'], unique=False)

    op.create_table('contribution_years',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('province', sa.String(length=6), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('months', sa.Integer(), nullable=False),
    sa.Column('base_sum_fen', sa.BigInteger(), nullable=False),
    sa.Column('average_wage_fen', sa.BigInteger(), nullable=False),
    sa.Column('index_sum_millionths', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_contribution_years_person_id_persons')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contribution_years')),
    sa.UniqueConstraint('person_id', 'year', 'province', 'kind', name=op.f('uq_contribution_years_person_id_year_province_kind'))
    )
    op.create_table('injury_claims',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('employer_id', sa.Integer(), nullable=False),
    sa.Column('province', sa.String(length=6), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('injury_date', sa.Date(), nullable=False),
    sa.Column('grade', sa.Integer(), nullable=True),
    sa.Column('wage_fen', sa.BigInteger(), nullable=False),
    sa.Column('one_off_fen', sa.BigInteger(), nullable=False),
    sa.Column('monthly_allowance_fen', sa.BigInteger(), nullable=False),
    sa.Column('funeral_fen', sa.BigInteger(), nullable=False),
    sa.Column('explanation', sa.Text(), nullable=False),
    sa.Column('recorded_by', sa.String(length=120), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['employer_id'], ['employers.id'], name=op.f('fk_injury_claims_employer_id_employers')),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_injury_claims_person_id_persons')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_injury_claims')),
    sa.UniqueConstraint('person_id', 'injury_date', 'kind', name=op.f('uq_injury_claims_person_id_injury_date_kind'))
    )
    with op.batch_alter_table('injury_claims', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_injury_claims_person_id'), ['person_id'], unique=False)

    op.create_table('maternity_claims',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('employer_id', sa.Integer(), nullable=False),
    sa.Column('province', sa.String(length=6), nullable=False),
    sa.Column('birth_date', sa.Date(), nullable=False),
    sa.Column('leave_days', sa.Integer(), nullable=False),
    sa.Column('employer_average_base_fen', sa.BigInteger(), nullable=False),
    sa.Column('allowance_fen', sa.BigInteger(), nullable=False),
    sa.Column('explanation', sa.Text(), nullable=False),
    sa.Column('recorded_by', sa.String(length=120), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['employer_id'], ['employers.id'], name=op.f('fk_maternity_claims_employer_id_employers')),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_maternity_claims_person_id_persons')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_maternity_claims')),
    sa.UniqueConstraint('person_id', 'birth_date', name=op.f('uq_maternity_claims_person_id_birth_date'))
    )
    with op.batch_alter_table('maternity_claims', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_maternity_claims_person_id'), ['person_id'], unique=False)

    op.create_table('retirement_applications',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('province', sa.String(length=6), nullable=False),
    sa.Column('region_code', sa.String(length=9), nullable=False),
    sa.Column('category', sa.String(length=16), nullable=False),
    sa.Column('retire_date', sa.Date(), nullable=False),
    sa.Column('age_months', sa.Integer(), nullable=False),
    sa.Column('ground', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('applied_by', sa.String(length=120), nullable=False),
    sa.Column('applied_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_retirement_applications_person_id_persons')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_retirement_applications')),
    sa.UniqueConstraint('person_id', name=op.f('uq_retirement_applications_person_id'))
    )
    with op.batch_alter_table('retirement_applications', schema=None) as batch_op:
        batch_op.create_index('ix_retirement_applications_province_status', ['province', 'status'], unique=False)

    op.create_table('unemployment_claims',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('province', sa.String(length=6), nullable=False),
    sa.Column('region_code', sa.String(length=9), nullable=False),
    sa.Column('separation_date', sa.Date(), nullable=False),
    sa.Column('separation_reason', sa.String(length=30), nullable=False),
    sa.Column('contribution_months', sa.Integer(), nullable=False),
    sa.Column('entitled_months', sa.Integer(), nullable=False),
    sa.Column('carried_months', sa.Integer(), nullable=False),
    sa.Column('monthly_fen', sa.BigInteger(), nullable=False),
    sa.Column('start_period', sa.String(length=6), nullable=False),
    sa.Column('medical_paid_by_fund', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('stopped_on', sa.Date(), nullable=True),
    sa.Column('stop_reason', sa.String(length=30), nullable=False),
    sa.Column('months_used', sa.Integer(), nullable=True),
    sa.Column('months_left', sa.Integer(), nullable=True),
    sa.Column('explanation', sa.Text(), nullable=False),
    sa.Column('recorded_by', sa.String(length=120), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_unemployment_claims_person_id_persons')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_unemployment_claims'))
    )
    with op.batch_alter_table('unemployment_claims', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_unemployment_claims_person_id'), ['person_id'], unique=False)

    op.create_table('pension_awards',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('application_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('province', sa.String(length=6), nullable=False),
    sa.Column('retire_date', sa.Date(), nullable=False),
    sa.Column('first_period', sa.String(length=6), nullable=False),
    sa.Column('age_months', sa.Integer(), nullable=False),
    sa.Column('contribution_months', sa.Integer(), nullable=False),
    sa.Column('deemed_months', sa.Integer(), nullable=False),
    sa.Column('index_ten_thousandths', sa.Integer(), nullable=False),
    sa.Column('personal_account_fen', sa.BigInteger(), nullable=False),
    sa.Column('calculation_wage_fen', sa.BigInteger(), nullable=False),
    sa.Column('divisor_twelfths', sa.Integer(), nullable=False),
    sa.Column('basic_fen', sa.BigInteger(), nullable=False),
    sa.Column('account_fen', sa.BigInteger(), nullable=False),
    sa.Column('transitional_fen', sa.BigInteger(), nullable=False),
    sa.Column('monthly_fen', sa.BigInteger(), nullable=False),
    sa.Column('account_remaining_fen', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('status_reason', sa.String(length=200), nullable=False),
    sa.Column('stop_period', sa.String(length=6), nullable=True),
    sa.Column('certified_on', sa.Date(), nullable=False),
    sa.Column('awarded_by', sa.String(length=120), nullable=False),
    sa.Column('awarded_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['retirement_applications.id'], name=op.f('fk_pension_awards_application_id_retirement_applications')),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_pension_awards_person_id_persons')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pension_awards')),
    sa.UniqueConstraint('application_id', name=op.f('uq_pension_awards_application_id')),
    sa.UniqueConstraint('person_id', name=op.f('uq_pension_awards_person_id'))
    )
    with op.batch_alter_table('pension_awards', schema=None) as batch_op:
        batch_op.create_index('ix_pension_awards_province_status', ['province', 'status'], unique=False)

    op.create_table('benefit_recoveries',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('award_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('months', sa.Integer(), nullable=False),
    sa.Column('from_period', sa.String(length=6), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('entry_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('opened_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['award_id'], ['pension_awards.id'], name=op.f('fk_benefit_recoveries_award_id_pension_awards')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_benefit_recoveries')),
    sa.UniqueConstraint('award_id', name=op.f('uq_benefit_recoveries_award_id'))
    )
    op.create_table('certification_reminders',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('award_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('cycle_start', sa.Date(), nullable=False),
    sa.Column('sent_on', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['award_id'], ['pension_awards.id'], name=op.f('fk_certification_reminders_award_id_pension_awards')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certification_reminders')),
    sa.UniqueConstraint('award_id', 'cycle_start', name=op.f('uq_certification_reminders_award_id_cycle_start'))
    )
    op.create_table('payroll_lines',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('award_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('province', sa.String(length=6), nullable=False),
    sa.Column('for_period', sa.String(length=6), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('account_part_fen', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('hold_reason', sa.String(length=20), nullable=False),
    sa.Column('paid_period', sa.String(length=6), nullable=True),
    sa.Column('card_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('entry_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.ForeignKeyConstraint(['award_id'], ['pension_awards.id'], name=op.f('fk_payroll_lines_award_id_pension_awards')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payroll_lines')),
    sa.UniqueConstraint('award_id', 'for_period', 'kind', name=op.f('uq_payroll_lines_award_id_for_period_kind'))
    )
    with op.batch_alter_table('payroll_lines', schema=None) as batch_op:
        batch_op.create_index('ix_payroll_lines_province_paid', ['province', 'paid_period', 'award_id'], unique=False)
        batch_op.create_index('ix_payroll_lines_province_status', ['province', 'status', 'award_id'], unique=False)

    op.create_table('pension_adjustments',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('award_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('province', sa.String(length=6), nullable=False),
    sa.Column('since_period', sa.String(length=6), nullable=False),
    sa.Column('before_fen', sa.BigInteger(), nullable=False),
    sa.Column('increase_fen', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['award_id'], ['pension_awards.id'], name=op.f('fk_pension_adjustments_award_id_pension_awards')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pension_adjustments')),
    sa.UniqueConstraint('award_id', 'since_period', name=op.f('uq_pension_adjustments_award_id_since_period'))
    )

    # ### commands auto generated by Alembic - please adjust! ###
    op.create_table('unemployment_payments',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('claim_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('province', sa.String(length=6), nullable=False),
    sa.Column('period', sa.String(length=6), nullable=False),
    sa.Column('benefit_fen', sa.BigInteger(), nullable=False),
    sa.Column('medical_fen', sa.BigInteger(), nullable=False),
    sa.Column('entry_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.ForeignKeyConstraint(['claim_id'], ['unemployment_claims.id'], name=op.f('fk_unemployment_payments_claim_id_unemployment_claims')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_unemployment_payments')),
    sa.UniqueConstraint('claim_id', 'period', name=op.f('uq_unemployment_payments_claim_id_period'))
    )
    with op.batch_alter_table('unemployment_payments', schema=None) as batch_op:
        batch_op.create_index('ix_unemployment_payments_province_period', ['province', 'period'], unique=False)
    _never_pay_the_dead()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS payroll_lines_never_pay_the_dead ON payroll_lines")
        op.execute("DROP FUNCTION IF EXISTS payroll_never_pays_the_dead()")
    else:
        op.execute("DROP TRIGGER IF EXISTS payroll_lines_never_pay_the_dead")
    # ### commands auto generated by Alembic - please adjust! ###
    with op.batch_alter_table('unemployment_payments', schema=None) as batch_op:
        batch_op.drop_index('ix_unemployment_payments_province_period')

    op.drop_table('unemployment_payments')

    with op.batch_alter_table('cards', schema=None) as batch_op:
        batch_op.drop_index('ix_cards_person')

    op.drop_table('pension_adjustments')
    with op.batch_alter_table('payroll_lines', schema=None) as batch_op:
        batch_op.drop_index('ix_payroll_lines_province_status')
        batch_op.drop_index('ix_payroll_lines_province_paid')

    op.drop_table('payroll_lines')
    op.drop_table('certification_reminders')
    op.drop_table('benefit_recoveries')
    with op.batch_alter_table('pension_awards', schema=None) as batch_op:
        batch_op.drop_index('ix_pension_awards_province_status')

    op.drop_table('pension_awards')
    with op.batch_alter_table('unemployment_claims', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_unemployment_claims_person_id'))

    op.drop_table('unemployment_claims')
    with op.batch_alter_table('retirement_applications', schema=None) as batch_op:
        batch_op.drop_index('ix_retirement_applications_province_status')

    op.drop_table('retirement_applications')
    with op.batch_alter_table('maternity_claims', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_maternity_claims_person_id'))

    op.drop_table('maternity_claims')
    with op.batch_alter_table('injury_claims', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_injury_claims_person_id'))

    op.drop_table('injury_claims')
    op.drop_table('contribution_years')
    with op.batch_alter_table('certifications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_certifications_person_id'))

    op.drop_table('certifications')
    with op.batch_alter_table('benefit_flags', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_benefit_flags_person_id'))

    op.drop_table('benefit_flags')


DEAD = "SELECT 1 FROM persons WHERE persons.id = NEW.person_id AND (persons.death_date IS NOT NULL OR persons.status = 'deceased')"
REFUSAL = "payroll_lines: no payment to a person with a death record"


def _never_pay_the_dead() -> None:
    """The database itself refuses to mark a line paid for a person with a death record, whatever the code does."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE FUNCTION payroll_never_pays_the_dead() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                   f"IF NEW.status = 'paid' AND OLD.status <> 'paid' AND EXISTS ({DEAD}) THEN RAISE EXCEPTION '{REFUSAL}'; "
                   "END IF; RETURN NEW; END $$")
        op.execute("CREATE TRIGGER payroll_lines_never_pay_the_dead BEFORE UPDATE OF status ON payroll_lines "
                   "FOR EACH ROW EXECUTE FUNCTION payroll_never_pays_the_dead()")
        return
    op.execute("CREATE TRIGGER payroll_lines_never_pay_the_dead BEFORE UPDATE OF status ON payroll_lines FOR EACH ROW "
               f"WHEN NEW.status = 'paid' AND OLD.status <> 'paid' AND EXISTS ({DEAD}) "
               f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END")
