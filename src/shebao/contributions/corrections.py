"""Retroactive corrections (追溯更正): when a fact arrives after its months were billed — an end, a start, a base,
a death or a suspension dated back — the months it touches are recomputed for the persons it concerns, set-based,
with the very query month-end bills by (batch.assessed_rows), and only the differences are written:

  1. each person-month whose amounts changed gets a new assessment version (zero where nothing is owed any more)
     and the version it replaces is marked superseded by the correction — billed rows are never edited;
  2. each payer gets a correction bill per month for the difference (kind "correction", reference "c<id>"),
     posted in the open period with the month it is for (for_period): receivable debited for more owed,
     credited for less;
  3. what a payer no longer owes becomes a credit (a payment of method "credit"): it pays off what is still
     unpaid of the same month's bills, and the rest is the payer's to offset against a later bill or have
     refunded;
  4. a correction's bill is distributed once the bills it corrects have been: the personal accounts and pooling
     funds are credited or debited by the difference, so months counted, balances and funds come out as if the
     fact had been known from the start.

A closed period's entries are never touched: the correction posts in the open month and refers to the months it
corrects. Months in a closed period or a year already settled (its interest credited) are reopened only with
the authority to do so (an administrator); the interest of such a year is then recomputed
(`shebao interest recompute`) from the corrected credits.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ColumnElement, Select, String, and_, case, cast, func, literal, or_, select, union_all, update
from sqlalchemy.orm import Session, aliased

from shebao.contributions.batch import ASSESSMENT_COLUMNS, MonthRates, assessed_rows, due_date
from shebao.contributions.collection import apply_offsets, distribute_bills, paid_principal
from shebao.contributions.models import Assessment, Bill, Correction, Payment, PaymentAllocation
from shebao.contributions.schemas import CorrectionRead, CorrectionRequest, CorrectionReverse
from shebao.core import audit
from shebao.core.clock import china_today, utc_naive
from shebao.core.db import plan_for_bulk_work
from shebao.core.errors import Conflict, Forbidden, InvalidInput, not_in_scope
from shebao.core.periods import Period
from shebao.core.regions import province_of
from shebao.core.runs import BatchRun
from shebao.core.security import Principal, Role
from shebao.enrollment.models import Participation
from shebao.ledger import chart, posting
from shebao.ledger import service as ledger
from shebao.ledger.rules import AccountKind
from shebao.policy.store import ParameterStore, default_store
from shebao.registry import service as registry
from shebao.registry.models import Employer, Person

CAUSES = {
    "end": ("参保关系终止（追溯）", "participation ended, dated back"),
    "start": ("参保关系开始（追溯）", "participation started, dated back"),
    "base": ("缴费基数更正", "contribution base corrected"),
    "death": ("死亡", "death"),
    "suspension": ("暂停或恢复缴费（追溯）", "suspended or resumed, dated back"),
    "parameter": ("政策参数更新", "policy parameter updated"),
    "review": ("稽核复核", "audit review"),
    "reversal": ("撤销更正", "a correction undone"),
}
PARTS = [column for column in ASSESSMENT_COLUMNS if column.endswith("_fen")
         and column not in ("declared_base_fen", "used_base_fen")]
COMPARED = ["used_base_fen", *PARTS]  # a month is corrected when the base used or any amount differs


def correct(*, session: Session, province: str, persons: list[int] | Select, since: Period, cause: str, reason: str,
            actor: str, now: datetime, may_reopen: bool = False,
            store: ParameterStore | None = None) -> CorrectionRead | None:
    """Recomputes, for the persons given, every month of the province from `since` that month-end has billed, and
    corrects what differs. None when there is nothing billed to recompute (the next month-end bills it right)."""
    chosen = (Participation.person_id.in_(persons) if isinstance(persons, Select)
              else Participation.person_id.in_(list(persons)))
    current_persons = (Assessment.person_id.in_(persons) if isinstance(persons, Select)
                       else Assessment.person_id.in_(list(persons)))
    months = _billed_months(session, province, since, current_persons)
    if not months:
        return None
    today = china_today(now)
    posted = Period.of(today)
    ledger.refuse_closed(session, province, str(posted))
    _refuse_closed_months(session, province, months, may_reopen)
    _refuse_running_month_end(session, province, months)
    plan_for_bulk_work(session)  # set-based statements over every person-month given: no JIT compilation of each
    correction = _open(session, province, cause, reason, months, posted, actor, now)
    store = store or default_store()
    for month in months:
        rates = MonthRates.of(store.at(province, month.first_day()))
        _write_versions(session, correction.id, province, month, rates, chosen, current_persons)
        _bill_differences(session, correction.id, province, month, rates, now)
    return _settle(session, correction, today, actor, now)


def reverse(*, session: Session, correction_id: int, reason: str, actor: str, now: datetime, may_reopen: bool = False,
            store: ParameterStore | None = None) -> CorrectionRead:
    """Undoes a correction made in error: the versions it replaced come back as new versions, and the difference
    is billed and posted like any correction. Only the latest correction of every month it touched can be undone;
    a later one must be undone first (corrections are undone in the reverse of the order they were made)."""
    original = session.get(Correction, correction_id)
    if original is None:
        raise not_in_scope("更正记录", "correction")
    reversed_by = session.scalar(select(Correction.id).where(Correction.reverses == correction_id))
    if reversed_by is not None:
        raise Conflict("correction.already_reversed", f"更正 {correction_id} 已被更正 {reversed_by} 撤销",
                       f"correction {correction_id} was already undone by correction {reversed_by}",
                       reversed_by=reversed_by)
    later = sorted(set(session.scalars(select(Assessment.superseded_by).where(
        Assessment.correction_id == correction_id, Assessment.superseded_by.isnot(None)))))
    if later:
        raise Conflict("correction.out_of_order",
                       f"更正 {correction_id} 涉及的月份此后又被更正（{'、'.join(map(str, later))}），须先撤销后面的更正",
                       f"months of correction {correction_id} were corrected again since (by {', '.join(map(str, later))}); "
                       "undo the later corrections first", later=later)
    months = [Period.parse(p) for p in session.scalars(select(Assessment.period).where(
        Assessment.correction_id == correction_id).distinct().order_by(Assessment.period))]
    today = china_today(now)
    posted = Period.of(today)
    ledger.refuse_closed(session, original.province, str(posted))
    if months:
        _refuse_closed_months(session, original.province, months, may_reopen)
    undo = _open(session, original.province, "reversal", reason, months or [Period.parse(original.first_period)],
                 posted, actor, now)
    undo.reverses = correction_id
    store = store or default_store()
    for month in months:
        rates = MonthRates.of(store.at(original.province, month.first_day()))
        _restore_versions(session, undo.id, correction_id, month)
        _bill_differences(session, undo.id, original.province, month, rates, now)
    return _settle(session, undo, today, actor, now)


def _open(session: Session, province: str, cause: str, reason: str, months: list[Period], posted: Period, actor: str,
          now: datetime) -> Correction:
    correction = Correction(province=province, cause=cause, reason=reason[:200], first_period=str(months[0]),
                            last_period=str(months[-1]), posted_period=str(posted), persons=0, months=0,
                            difference_fen=0, actor=actor, created_at=utc_naive(now))
    session.add(correction)
    session.flush()
    return correction


def _settle(session: Session, correction: Correction, today: date, actor: str, now: datetime) -> CorrectionRead:
    posted = Period.parse(correction.posted_period)
    _post_bills(session, correction.id, correction.province, posted, actor, now)
    _credit_and_distribute(session, correction.id, correction.province, posted, today, actor, now)
    return _finish(session, correction, actor, now)


def _billed_months(session: Session, province: str, since: Period, assessed: ColumnElement[bool]) -> list[Period]:
    """The months from `since` that are billed: by month-end in the province, or for these persons by a make-up
    bill or an earlier correction. Oldest first."""
    by_month_end = select(BatchRun.period.label("period")).where(
        BatchRun.kind == "month_end", BatchRun.province == province, BatchRun.status == "done",
        BatchRun.period >= str(since))
    for_them = select(Assessment.period.label("period")).where(
        Assessment.province == province, Assessment.period >= str(since), Assessment.superseded_by.is_(None), assessed)
    periods = session.scalars(select(union_all(by_month_end, for_them).subquery().c.period).distinct()
                              .order_by("period"))
    return [Period.parse(p) for p in periods]


def _refuse_closed_months(session: Session, province: str, months: list[Period], may_reopen: bool) -> None:
    closed = ledger.closed_months(session=session, province=province, first=str(months[0]), last=str(months[-1]))
    if closed and not may_reopen:
        raise Forbidden("correction.closed_period",
                        f"更正涉及已结账或已年度结算的月份（{'、'.join(closed[:6])}{'等' if len(closed) > 6 else ''}），"
                        "须由有权重新打开的管理员办理",
                        f"the correction reaches months already closed or settled at year-end ({', '.join(closed[:6])}"
                        f"{' …' if len(closed) > 6 else ''}); only an administrator may reopen them",
                        closed=closed)


def _refuse_running_month_end(session: Session, province: str, months: list[Period]) -> None:
    running = session.scalar(select(func.min(BatchRun.period)).where(
        BatchRun.kind == "month_end", BatchRun.province == province, BatchRun.status != "done",
        BatchRun.period <= str(months[-1])))
    if running is not None:
        raise Conflict("correction.month_end_running", f"{running} 的月末核定正在进行，请在完成后再更正",
                       f"month-end for {running} is running; correct when it has finished", period=running)


def _current(province: str, month: Period, persons: ColumnElement[bool]) -> Select:
    return select(Assessment).where(Assessment.province == province, Assessment.period == str(month),
                                    Assessment.superseded_by.is_(None), persons)


def _write_versions(session: Session, correction_id: int, province: str, month: Period, rates: MonthRates,
                    persons: ColumnElement[bool], current_persons: ColumnElement[bool]) -> None:
    """New versions of the person-months whose amounts differ from what the month owes now, and zero versions of
    those it no longer owes; then the versions they replace are marked superseded."""
    owed = assessed_rows(province, month, rates, persons).cte("owed")
    now_billed = _current(province, month, current_persons).subquery("now_billed")
    same = and_(now_billed.c.period == owed.c.period, now_billed.c.payer_kind == owed.c.payer_kind,
                now_billed.c.payer_id == owed.c.payer_id, now_billed.c.person_id == owed.c.person_id)
    differs = or_(now_billed.c.id.is_(None), *(now_billed.c[column] != owed.c[column] for column in COMPARED))
    version = func.coalesce(now_billed.c.version, 0) + 1
    marks = {"version": version, "correction_id": literal(correction_id), "bill_reference": literal(f"c{correction_id}")}
    changed = (select(*(owed.c[column] for column in ASSESSMENT_COLUMNS), *(v.label(k) for k, v in marks.items()))
               .select_from(owed.outerjoin(now_billed, same)).where(differs))
    session.execute(Assessment.__table__.insert().from_select([*ASSESSMENT_COLUMNS, *marks], changed))

    still_owed = (select(owed.c.person_id).where(owed.c.payer_kind == Assessment.payer_kind,
                                                  owed.c.payer_id == Assessment.payer_id,
                                                  owed.c.person_id == Assessment.person_id).exists())
    gone = (select(Assessment.period, Assessment.province, Assessment.person_id, Assessment.payer_kind,
                   Assessment.payer_id, Assessment.region_code, literal(None).label("declared_base_fen"),
                   *(literal(0).label(column) for column in COMPARED), (Assessment.version + 1).label("version"),
                   literal(correction_id).label("correction_id"), literal(f"c{correction_id}").label("bill_reference"))
            .where(Assessment.province == province, Assessment.period == str(month), Assessment.superseded_by.is_(None),
                   current_persons, or_(Assessment.correction_id.is_(None), Assessment.correction_id != correction_id),
                   ~still_owed, or_(Assessment.total_fen != 0, Assessment.pension_account_fen != 0)))
    session.execute(Assessment.__table__.insert().from_select(
        [*ASSESSMENT_COLUMNS[:6], "declared_base_fen", *COMPARED, "version", "correction_id", "bill_reference"], gone))

    newer = aliased(Assessment)
    replaced = (select(newer.id).where(newer.correction_id == correction_id, newer.period == Assessment.period,
                                       newer.payer_kind == Assessment.payer_kind, newer.payer_id == Assessment.payer_id,
                                       newer.person_id == Assessment.person_id, newer.version > Assessment.version)
                .exists())
    session.execute(update(Assessment).where(Assessment.province == province, Assessment.period == str(month),
                                             Assessment.superseded_by.is_(None), current_persons, replaced)
                    .values(superseded_by=correction_id).execution_options(synchronize_session=False))


def _restore_versions(session: Session, undo_id: int, correction_id: int, month: Period) -> None:
    """The versions a correction replaced, written again as the newest versions (zero where it had added a month),
    and the correction's own versions marked superseded by the undoing."""
    undone = aliased(Assessment)
    replaced = aliased(Assessment)
    same = and_(replaced.superseded_by == correction_id, replaced.period == undone.period,
                replaced.payer_kind == undone.payer_kind, replaced.payer_id == undone.payer_id,
                replaced.person_id == undone.person_id)
    restored = (select(undone.period, undone.province, undone.person_id, undone.payer_kind, undone.payer_id,
                       func.coalesce(replaced.region_code, undone.region_code), replaced.declared_base_fen,
                       *(func.coalesce(getattr(replaced, column), 0) for column in COMPARED),
                       (undone.version + 1), literal(undo_id), literal(f"c{undo_id}"))
                .select_from(undone).outerjoin(replaced, same)
                .where(undone.correction_id == correction_id, undone.period == str(month)))
    session.execute(Assessment.__table__.insert().from_select(
        [*ASSESSMENT_COLUMNS[:6], "declared_base_fen", *COMPARED, "version", "correction_id", "bill_reference"],
        restored))
    session.execute(update(Assessment).where(Assessment.correction_id == correction_id, Assessment.period == str(month),
                                             Assessment.superseded_by.is_(None))
                    .values(superseded_by=undo_id).execution_options(synchronize_session=False))


def _bill_differences(session: Session, correction_id: int, province: str, month: Period, rates: MonthRates,
                      now: datetime) -> None:
    """One bill per payer for the month: what its new versions owe less what the versions they replaced owed.
    Due from the month's own due date, as a make-up bill is: the money was owed since then."""
    new = select(Assessment.payer_kind, Assessment.payer_id, Assessment.total_fen.label("fen"),
                 literal(1).label("persons")).where(Assessment.correction_id == correction_id,
                                                    Assessment.period == str(month))
    old = select(Assessment.payer_kind, Assessment.payer_id, (-Assessment.total_fen).label("fen"),
                 literal(0).label("persons")).where(Assessment.superseded_by == correction_id,
                                                    Assessment.period == str(month))
    both = union_all(new, old).subquery()
    rows = (select(literal(str(month)), literal(province), both.c.payer_kind, both.c.payer_id, func.sum(both.c.fen),
                   func.sum(both.c.persons), literal(due_date(month, rates.due_day)), literal("correction"),
                   literal(f"c{correction_id}"), literal(utc_naive(now)), literal(correction_id))
            .group_by(both.c.payer_kind, both.c.payer_id))
    session.execute(Bill.__table__.insert().from_select(
        ["period", "province", "payer_kind", "payer_id", "amount_fen", "persons", "due_date", "kind", "reference",
         "created_at", "correction_id"], rows))


def _key(prefix: str, column) -> ColumnElement[str]:  # noqa: ANN001 - an SQL column
    return literal(prefix) + cast(column, String)


def _post_bills(session: Session, correction_id: int, province: str, posted: Period, actor: str, now: datetime) -> None:
    """Each correction bill in the open period, for its month: more owed debits the payer's receivable, less owed
    credits it (a bill of no difference moves nothing and is not posted)."""
    bills = select(Bill.id).where(Bill.correction_id == correction_id, Bill.amount_fen != 0)
    key = _key("bill:", Bill.id)
    memo = (literal("追溯更正 correction ") + literal(str(correction_id)) + literal(" ") + Bill.payer_kind + literal(" ")
            + cast(Bill.payer_id, String))
    posting.post_entries(
        session=session, province=province, period=str(posted), kind="correction", actor=actor, now=now,
        entries=bills.with_only_columns(key, memo, Bill.period),
        lines=[posting.Lines(bills, key, chart.payer_receivable(Bill.payer_kind, Bill.payer_id, province=province),
                             Bill.amount_fen),
               posting.Lines(bills, key, chart.province_account(AccountKind.CLEARING, province=province),
                             -Bill.amount_fen)])


def _credit_and_distribute(session: Session, correction_id: int, province: str, posted: Period, today: date,
                           actor: str, now: datetime) -> None:
    """What a payer no longer owes is a credit: it first pays off the unpaid rest of the same month's bills (it was
    never owed, so no late fee runs on it); the corrections are then distributed wherever their bills allow."""
    less = select(Bill.id, Bill.payer_kind, Bill.payer_id, Bill.amount_fen).where(
        Bill.correction_id == correction_id, Bill.amount_fen < 0).subquery()
    session.execute(Payment.__table__.insert().from_select(
        ["idempotency_key", "payer_kind", "payer_id", "province", "amount_fen", "received_on", "recorded_by",
         "recorded_at", "method"],
        select(_key("credit:", less.c.id), less.c.payer_kind, less.c.payer_id, literal(province), -less.c.amount_fen,
               literal(today), literal(actor), literal(utc_naive(now)), literal("credit"))))
    completed = _offset_same_month(session, correction_id)
    distribute_bills(session=session, province=province, period=str(posted), actor=actor, now=now,
                     bills=or_(and_(Bill.correction_id == correction_id, paid_principal(Bill.id) >= Bill.amount_fen),
                               Bill.id.in_(completed or [-1])))
    apply_offsets(session=session, province=province, now=now, actor=actor)  # a refund the payer took as an offset


def _offset_same_month(session: Session, correction_id: int) -> list[int]:
    """Allocates each credit to the unpaid principal of its payer's other bills for the same month, oldest first.
    Returns the bills this pays in full."""
    credit_bill = aliased(Bill)
    pairs = session.execute(
        select(Payment.id, Payment.amount_fen, Bill.id, Bill.amount_fen - paid_principal(Bill.id))
        .join(credit_bill, Payment.idempotency_key == _key("credit:", credit_bill.id))
        .join(Bill, and_(Bill.period == credit_bill.period, Bill.payer_kind == credit_bill.payer_kind,
                         Bill.payer_id == credit_bill.payer_id, Bill.id != credit_bill.id))
        .where(credit_bill.correction_id == correction_id, credit_bill.amount_fen < 0,
               Bill.amount_fen > paid_principal(Bill.id))
        .order_by(Payment.id, Bill.id)).all()
    left: dict[int, int] = {}
    completed = []
    for payment_id, credit, bill_id, unpaid in pairs:
        available = left.setdefault(payment_id, credit)
        used = min(available, unpaid)
        if used <= 0:
            continue
        session.add(PaymentAllocation(payment_id=payment_id, bill_id=bill_id, principal_fen=used, late_fee_fen=0,
                                      days_late=0))
        left[payment_id] = available - used
        if used == unpaid:
            completed.append(bill_id)
    session.flush()
    return completed


def _finish(session: Session, correction: Correction, actor: str, now: datetime) -> CorrectionRead:
    persons, months = session.execute(select(func.count(func.distinct(Assessment.person_id)), func.count())
                                      .where(Assessment.correction_id == correction.id)).one()
    difference = session.scalar(select(func.coalesce(func.sum(Bill.amount_fen), 0))
                                .where(Bill.correction_id == correction.id))
    correction.persons, correction.months, correction.difference_fen = int(persons), int(months), int(difference)
    session.flush()
    audit.append(session, actor=actor, action="correction.posted", subject=f"correction:{correction.id}", now=now,
                 province=correction.province, cause=correction.cause, first_period=correction.first_period,
                 last_period=correction.last_period, persons=correction.persons, months=correction.months,
                 difference_fen=correction.difference_fen)
    return correction_read(session=session, correction=correction)


def correction_read(*, session: Session, correction: Correction) -> CorrectionRead:
    cause_zh, cause_en = CAUSES.get(correction.cause, (correction.cause, correction.cause))
    bills = session.execute(select(func.count(), func.coalesce(func.sum(case((Bill.amount_fen > 0, Bill.amount_fen),
                                                                             else_=0)), 0),
                                   func.coalesce(func.sum(case((Bill.amount_fen < 0, -Bill.amount_fen), else_=0)), 0))
                            .where(Bill.correction_id == correction.id)).one()
    return CorrectionRead(
        id=correction.id, province=correction.province, cause=correction.cause, cause_zh=cause_zh, cause_en=cause_en,
        reason=correction.reason, first_period=correction.first_period, last_period=correction.last_period,
        posted_period=correction.posted_period, persons=correction.persons, months=correction.months,
        difference_fen=correction.difference_fen, bills=int(bills[0]), billed_more_fen=int(bills[1]),
        credited_fen=int(bills[2]), actor=correction.actor, created_at=correction.created_at)


# ---------------------------------------------------------------- at the counter

def request_correction(*, session: Session, principal: Principal, command: CorrectionRequest, now: datetime,
                       store: ParameterStore | None = None) -> list[CorrectionRead]:
    """A clerk recomputes the billed months of one person, or of everyone an employer insured, from a month on
    (after the facts were fixed): one correction per province the months were billed in. The person or employer
    must be in the clerk's region, judged on the stored record; an auditor reads but never corrects."""
    principal.require_role(Role.STAFF, Role.ADMIN)
    since = Period.parse(command.since)
    if (command.person_id is None) == (command.employer_id is None):
        raise InvalidInput("correction.subject", "请指定一名人员或一个单位（二者选一）",
                           "name one person or one employer (one of the two)")
    if command.person_id is not None:
        person = registry.require_person_in_scope(principal, session.get(Person, command.person_id))
        persons: list[int] | Select = [person.id]
        provinces = sorted(set(session.scalars(select(Assessment.province).where(
            Assessment.person_id == person.id, Assessment.period >= str(since)).distinct())))
    else:
        employer = registry.require_employer_in_scope(principal, session.get(Employer, command.employer_id))
        insured = union_all(
            select(Assessment.person_id).where(Assessment.payer_kind == "employer", Assessment.payer_id == employer.id,
                                               Assessment.period >= str(since)),
            select(Participation.person_id).where(Participation.employer_id == employer.id)).subquery()
        persons = select(insured.c.person_id)
        provinces = [province_of(employer.region_code)]
    done = [correct(session=session, province=province, persons=persons, since=since, cause="review",
                    reason=command.reason, actor=principal.actor, now=now, may_reopen=principal.role == Role.ADMIN,
                    store=store) for province in provinces]
    done = [c for c in done if c is not None]
    if not done:
        raise Conflict("correction.nothing_billed", f"{since} 起没有已核定的月份，无需更正（月末核定将按现有记录核定）",
                       f"nothing is billed from {since} on; month-end will bill it from the records as they are")
    return done


def reverse_correction(*, session: Session, principal: Principal, correction_id: int, command: CorrectionReverse,
                       now: datetime, store: ParameterStore | None = None) -> CorrectionRead:
    """Undoes a correction made in error, if the clerk may handle everyone it touched."""
    principal.require_role(Role.STAFF, Role.ADMIN)
    correction = _correction_in_scope(session, principal, correction_id)
    return reverse(session=session, correction_id=correction.id, reason=command.reason, actor=principal.actor, now=now,
                   may_reopen=principal.role == Role.ADMIN, store=store)


def corrections_of(*, session: Session, principal: Principal, person_id: int) -> list[CorrectionRead]:
    """The corrections of a person's months, newest first, for the person, staff of their region and auditors."""
    principal.require_role(Role.INSURED, Role.STAFF, Role.ADMIN, Role.AUDITOR)
    person = registry.require_person_in_scope(principal, session.get(Person, person_id))
    touched = or_(Assessment.correction_id == Correction.id, Assessment.superseded_by == Correction.id)
    rows = session.scalars(select(Correction).where(select(Assessment.id).where(
        Assessment.person_id == person.id, touched).exists()).order_by(Correction.id.desc()).limit(200)).all()
    return [correction_read(session=session, correction=c) for c in rows]


def _correction_in_scope(session: Session, principal: Principal, correction_id: int) -> Correction:
    """The correction, if the principal serves every person it touched (judged on where they live); one answer
    otherwise, whether or not it exists."""
    correction = session.get(Correction, correction_id)
    if correction is not None and principal.role != Role.ADMIN:
        touched = or_(Assessment.correction_id == correction.id, Assessment.superseded_by == correction.id)
        regions = session.scalars(select(Person.residence_region_code).where(
            select(Assessment.id).where(Assessment.person_id == Person.id, touched).exists()).distinct()).all()
        if not regions or not all(principal.serves(region) for region in regions):
            correction = None
    if correction is None:
        raise not_in_scope("更正记录", "correction")
    return correction
