"""A person's pension record as SQL: paid months, the sum of monthly indexes, deemed months, by province.

Two sources: the platform's own assessments (a month counts once its bill is paid in full and
distributed) and the yearly rows of the archive (years before the platform, and deemed years). Each
month's index is its base over the province's average wage in force that month, in millionths,
rounded half up (rules.index_millionths, the step the archive's yearly rows take too); a person's average
index is the sum over months divided by the months.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, Select, String, and_, case, cast, func, literal, select, union_all
from sqlalchemy.sql import ColumnElement

from shebao.benefits import rules
from shebao.benefits.models import ContributionYear
from shebao.contributions.models import Assessment, Bill
from shebao.core.periods import Period
from shebao.ledger import service as ledger
from shebao.policy.store import ParameterStore


def average_wage_in_force(store: ParameterStore, province: ColumnElement, period: ColumnElement) -> ColumnElement:
    """The province's average monthly wage in force in a period, as one CASE over every change of it."""
    whens = []
    for code in sorted(store.provinces):
        if "wages.average_monthly_fen" in store.provinces[code]:
            for day, value in reversed(store.changes(code, "wages.average_monthly_fen")):
                whens.append((and_(province == code, period >= str(Period.of(day))), value))
    national = store.changes("000000", "wages.average_monthly_fen")
    for day, value in reversed(national):
        whens.append((period >= str(Period.of(day)), value))
    return case(*whens, else_=national[0][1])


def account_opened_year(store: ParameterStore, province: ColumnElement) -> ColumnElement:
    """The year the personal account opened in a province (its months before count as transitional years where the
    province says so), as one CASE over the provinces that set their own."""
    whens = [(province == code, store.at(code, date(2006, 1, 1)).value("pension.personal_account_opened_year"))
             for code in sorted(store.provinces) if "pension.personal_account_opened_year" in store.provinces[code]]
    national = store.at("000000", date(2006, 1, 1)).value("pension.personal_account_opened_year")
    return case(*whens, else_=national) if whens else literal(national)


def _paid(assessment=Assessment):  # noqa: ANN001, ANN202 - an EXISTS clause
    """The assessment is the current version of its month and its bill was paid in full and distributed (one level
    of correlation, as both databases need)."""
    return (select(Bill.id)
            .where(assessment.superseded_by.is_(None), Bill.period == assessment.period, Bill.payer_kind == assessment.payer_kind,
                   Bill.payer_id == assessment.payer_id, Bill.reference == assessment.bill_reference,
                   Bill.distribution_entry_id.isnot(None))
            .exists())


def paid_months(person_id: int) -> Select:
    """(province, period, base_fen) of every month of the person's pension the platform assessed and was paid:
    the months that count (the same test as the award's), with the base each was assessed on."""
    return (select(Assessment.province, Assessment.period, cast(Assessment.used_base_fen, BigInteger).label("base_fen"))
            .where(Assessment.person_id == person_id, Assessment.pension_account_fen > 0, _paid())
            .order_by(Assessment.period))


def archive_years(person_id: int) -> Select:
    """(province, year, kind, months, base_sum_fen) of the person's archive rows (years before the platform, deemed
    years), oldest first."""
    return (select(ContributionYear.province, ContributionYear.year, ContributionYear.kind, ContributionYear.months,
                   ContributionYear.base_sum_fen)
            .where(ContributionYear.person_id == person_id).order_by(ContributionYear.year, ContributionYear.id))


def record_columns(store: ParameterStore, person_id: ColumnElement) -> dict[str, ColumnElement]:
    """A person's months, sum of monthly indexes, deemed months and account balance, as correlated scalar
    subqueries on the person's id: each reads only that person's rows through an index, so a batch of a
    million applications is a million small index lookups, not a join of two large sets."""
    wage = average_wage_in_force(store, Assessment.province, Assessment.period)
    assessed = and_(Assessment.person_id == person_id, Assessment.pension_account_fen > 0, _paid())
    counted = and_(ContributionYear.person_id == person_id, ContributionYear.kind != "deemed")
    deemed = and_(ContributionYear.person_id == person_id, ContributionYear.kind == "deemed")
    pre_account = and_(counted, ContributionYear.year < account_opened_year(store, ContributionYear.province))

    def total(column, clause) -> ColumnElement:  # noqa: ANN001
        return cast(select(func.coalesce(func.sum(column), 0)).where(clause).scalar_subquery(), BigInteger)

    paid_months = select(func.count()).where(assessed).scalar_subquery()
    monthly_index = rules.index_millionths(cast(Assessment.used_base_fen, BigInteger), wage)
    return {
        "months": paid_months + total(ContributionYear.months, counted),
        "index_sum": total(monthly_index, assessed) + total(ContributionYear.index_sum_millionths, counted),
        "deemed": total(ContributionYear.months, deemed),
        "pre_account_months": total(ContributionYear.months, pre_account),
        # One level of correlation only: a nested correlated subquery would silently lose the person.
        "balance": ledger.personal_account_held(person_id),
    }


def counted_periods(person_id: int) -> Select:
    """(period, province) of each month that counts on the platform for one person — the months record_columns and
    record_by_province count, one row a month (the archive looks for omitted months with them)."""
    return (select(Assessment.period, Assessment.province)
            .where(Assessment.person_id == person_id, Assessment.pension_account_fen > 0, _paid())
            .order_by(Assessment.period))


def record_by_province(store: ParameterStore, persons: Select) -> Select:
    """(person_id, province, months, index_sum_millionths, deemed_months) for the persons a SELECT names."""
    wage = average_wage_in_force(store, Assessment.province, Assessment.period)
    monthly_index = rules.index_millionths(cast(Assessment.used_base_fen, BigInteger), wage)
    assessed = (select(Assessment.person_id.label("person_id"), Assessment.province.label("province"),
                       func.count().label("months"), func.sum(monthly_index).label("index_sum"), literal(0).label("deemed"))
                .where(Assessment.person_id.in_(persons), Assessment.pension_account_fen > 0, _paid())
                .group_by(Assessment.person_id, Assessment.province))
    counted = ContributionYear.kind != "deemed"
    archived = (select(ContributionYear.person_id, ContributionYear.province,
                       func.sum(case((counted, ContributionYear.months), else_=0)),
                       func.sum(case((counted, ContributionYear.index_sum_millionths), else_=0)),
                       func.sum(case((counted, 0), else_=ContributionYear.months)))
                .where(ContributionYear.person_id.in_(persons))
                .group_by(ContributionYear.person_id, ContributionYear.province))
    both = union_all(assessed, archived).subquery("both_sources")
    return (select(both.c.person_id, both.c.province, cast(func.sum(both.c.months), BigInteger).label("months"),
                   cast(func.sum(both.c.index_sum), BigInteger).label("index_sum"),
                   cast(func.sum(both.c.deemed), BigInteger).label("deemed"))
            .group_by(both.c.person_id, both.c.province))


def yearly_record(store: ParameterStore | None, person_id: int | ColumnElement) -> Select:
    """One row per year and province for one person (the explanation's table). Without a parameter store, the months
    and bases only (wage and index 0 for the platform's months): the archive's table, which needs no average wage."""
    year = func.substr(Assessment.period, 1, 4)
    if store is None:
        wage, index_sum = literal(0, BigInteger), literal(0, BigInteger)
    else:
        wage = average_wage_in_force(store, Assessment.province, Assessment.period)
        index_sum = func.sum(rules.index_millionths(cast(Assessment.used_base_fen, BigInteger), wage))
    assessed = (select(year.label("year"), Assessment.province, literal("assessed").label("kind"), func.count().label("months"),
                       func.sum(Assessment.used_base_fen).label("base_sum"), func.max(wage).label("wage"),
                       index_sum.label("index_sum"))
                .where(Assessment.person_id == person_id, Assessment.pension_account_fen > 0, _paid())
                .group_by(year, Assessment.province))
    archived = select(cast(ContributionYear.year, String), ContributionYear.province, ContributionYear.kind,
                      ContributionYear.months, ContributionYear.base_sum_fen, ContributionYear.average_wage_fen,
                      ContributionYear.index_sum_millionths).where(ContributionYear.person_id == person_id)
    rows = union_all(assessed, archived).subquery()
    return select(rows).order_by(rows.c.year, rows.c.province)
