"""benefits: on PostgreSQL the refusal to pay a person with a death record is checked once per statement, over
the rows it changed (transition tables), instead of by a PL/pgSQL call and a query for every row: the payroll
marks a million lines paid a month, and the row-by-row check was a fifth of that statement's time. The rule and
its message are the same; SQLite keeps its row trigger, which costs it nothing measurable.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-26
"""
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

REFUSAL = "payroll_lines: no payment to a person with a death record"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER payroll_lines_never_pay_the_dead ON payroll_lines")
    op.execute("DROP FUNCTION payroll_never_pays_the_dead()")
    # A line that became paid in this statement, for a person with a death record: the whole statement fails.
    # (Transition tables cannot go with a column list, so every UPDATE of payroll_lines is looked at.)
    op.execute("CREATE FUNCTION payroll_never_pays_the_dead() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
               "IF EXISTS (SELECT 1 FROM lines_after a JOIN lines_before b ON b.id = a.id "
               "JOIN persons ON persons.id = a.person_id "
               "WHERE a.status = 'paid' AND b.status <> 'paid' "
               "AND (persons.death_date IS NOT NULL OR persons.status = 'deceased')) "
               f"THEN RAISE EXCEPTION '{REFUSAL}'; END IF; RETURN NULL; END $$")
    op.execute("CREATE TRIGGER payroll_lines_never_pay_the_dead AFTER UPDATE ON payroll_lines "
               "REFERENCING OLD TABLE AS lines_before NEW TABLE AS lines_after "
               "FOR EACH STATEMENT EXECUTE FUNCTION payroll_never_pays_the_dead()")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER payroll_lines_never_pay_the_dead ON payroll_lines")
    op.execute("DROP FUNCTION payroll_never_pays_the_dead()")
    dead = ("SELECT 1 FROM persons WHERE persons.id = NEW.person_id "
            "AND (persons.death_date IS NOT NULL OR persons.status = 'deceased')")
    op.execute("CREATE FUNCTION payroll_never_pays_the_dead() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
               f"IF NEW.status = 'paid' AND OLD.status <> 'paid' AND EXISTS ({dead}) THEN RAISE EXCEPTION '{REFUSAL}'; "
               "END IF; RETURN NEW; END $$")
    op.execute("CREATE TRIGGER payroll_lines_never_pay_the_dead BEFORE UPDATE OF status ON payroll_lines "
               "FOR EACH ROW EXECUTE FUNCTION payroll_never_pays_the_dead()")
