"""Transfers of a province pair taken through one step together, set-based: the path for a province that has
thousands of moves waiting on the same step (the per-transfer use cases of `service` take ~50 ms a transfer, so
100,000 transfers through five steps would take over an hour; this path takes them in seconds).

`advance_batch` writes exactly the rows `service.take_step` writes for each transfer (the step, the transfer's new
step, due day and amounts, the items, the notice, the entries under the same keys `transfer:{id}:sent|received`),
so the two paths may be mixed and never post twice; the audit chain gets one record per batch instead of one per
transfer. It takes the steps after the application (letter_sent, checked, funds_sent, received, completed) and
only what it handles; every transfer of the pair at the step before that it leaves alone is returned with the
reason, for the per-transfer path:
  - kind "move" only (a temporary account, a gathering or a scheme conversion goes through the service);
  - the person has had no other transfer that moved money (the old province's holding is then its own record,
    without what earlier moves brought in or took out);
  - the person's whole pension record (paid assessments, archive years) is in the old province and the person has
    no unemployment claim: the personal account is then taken whole (`ledger.personal_account_held`) as the old
    province's part, and the items are the pension's and those of the participations the old province ended.
    (A personal-account balance brought forward by a province holding none of the person's months is the one
    history this proxy would misread; such a person has a record elsewhere in every real archive.)
  - the step's date is not before the transfer's last step; at funds_sent, the old province's figures recomputed
    now still equal those fixed at the check (else: `transfer.amount_mismatch`, to be checked again).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from sqlalchemy import BigInteger, Integer, String, Update, and_, case, cast, exists, func, insert, literal, or_, select, update
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql import ColumnElement, Select

from shebao.benefits import record
from shebao.benefits.models import ContributionYear, UnemploymentClaim
from shebao.contributions.models import Assessment
from shebao.core import audit
from shebao.core.clock import china_today, utc_naive
from shebao.core.db import Database, analyze
from shebao.core.errors import InvalidInput
from shebao.core.periods import Period
from shebao.core.regions import province_of
from shebao.enrollment.models import Participation
from shebao.ledger import chart, posting
from shebao.ledger import service as ledger
from shebao.ledger.rules import AccountKind
from shebao.policy.store import ParameterStore, default_store
from shebao.transfers import rules
from shebao.transfers.models import Transfer, TransferItem, TransferNotice, TransferStep
from shebao.transfers.rules import Step
from shebao.transfers.service import KIND_NAMES, MONEY_KINDS, MOVED, NATIONAL, PENSION_POOL, calendar

KIND = "move"
# The step a batch step follows, on the one line of a move that succeeds.
AFTER: dict[Step, Step] = {Step.LETTER_SENT: Step.APPLIED, Step.CHECKED: Step.LETTER_SENT, Step.FUNDS_SENT: Step.CHECKED,
                           Step.RECEIVED: Step.FUNDS_SENT, Step.COMPLETED: Step.RECEIVED}
PENSION_RULE = "个人账户全部储存额 + 1998 年起缴费基数之和的 12%（国办发〔2009〕66号第四条）"
SCHEME_RULES = {"medical": "医保缴费年限互认累计（医保发〔2021〕43号）；医保个人账户本平台不记账",
                "unemployment": "失业保险缴费年限累计计算；未领完的失业保险金 0 个月保留，重新领取时合并（失业保险条例第十七条）",
                "resident_pension": "城乡居民养老保险缴费年限累计计算"}
CHUNK = 20_000


def advance_batch(*, database: Database, step: Step | str, from_province: str, to_province: str, on: date,
                  now: datetime, actor: str, transfer_ids: Select | None = None, store: ParameterStore | None = None,
                  chunk: int = CHUNK) -> dict:
    """Takes every open move from `from_province` to `to_province` at the step before `step` (or only those
    `transfer_ids`, a SELECT of ids, names) through `step` on `on`, in chunks of `chunk` transfers, each chunk one
    transaction. Returns how many advanced, how many entries were posted, and those left for the per-transfer path
    with the reason."""
    store = store or default_store()
    wanted = _require(step, from_province, to_province, on, now)
    deadlines = store.at(to_province, on).value("transfers.deadline_working_days")
    days = calendar(store)
    advanced = posted = 0
    left: list[dict] = []
    with database.unit_of_work() as uow:
        candidates = uow.session.scalars(_at_previous(wanted, from_province, to_province, transfer_ids)
                                         .with_only_columns(Transfer.id).order_by(Transfer.id)).all()
    for start in range(0, len(candidates), chunk):
        low, high = candidates[start], candidates[min(start + chunk, len(candidates)) - 1]
        with database.batch_transaction() as session:
            scope = _at_previous(wanted, from_province, to_province, transfer_ids).where(Transfer.id.between(low, high))
            eligible, refused = _eligible(session, scope, wanted, on, store)
            left += refused
            if not eligible:
                continue
            count, ids = len(eligible), eligible
            if wanted == Step.CHECKED:
                _fix_amounts(session, ids, store)
            if wanted == Step.FUNDS_SENT:
                posted += _post(session, ids, from_province, to_province, on, actor, now, sent=True)
            if wanted == Step.RECEIVED:
                posted += _post(session, ids, from_province, to_province, on, actor, now, sent=False)
            _record_steps(session, ids, wanted, on, from_province, to_province, actor, now, days, deadlines)
            advanced += count
            audit.append(session, actor=actor, action=f"transfer.batch_{wanted.value}",
                         subject=f"province:{from_province}->{to_province}", now=now, on=on.isoformat(), transfers=count,
                         first=low, last=high)
    analyze(database, "transfers", "transfer_steps", "transfer_notices", "transfer_items")
    return {"step": wanted.value, "from_province": from_province, "to_province": to_province, "advanced": advanced,
            "entries_posted": posted, "left": left}


def _require(step: Step | str, from_province: str, to_province: str, on: date, now: datetime) -> Step:
    try:
        wanted = Step(step)
    except ValueError:
        wanted = None
    if wanted not in AFTER:
        raise InvalidInput("transfer.batch_step", f"批量办理只适用于申请之后的步骤：{'、'.join(s.value for s in AFTER)}",
                           f"a batch takes the steps after the application only: {', '.join(s.value for s in AFTER)}",
                           step=str(step))
    for code in (from_province, to_province):
        if province_of(code) != code:
            raise InvalidInput("transfer.batch_province", f"「{code}」不是省级区划代码", f"{code} is not a province code")
    if from_province == to_province:
        raise InvalidInput("transfer.same_province", "转出地与转入地是同一省份", "the old and the new province are the same")
    if on > china_today(now):
        raise InvalidInput("transfer.date_in_future", f"日期 {on} 晚于今天", f"the date {on} is in the future")
    return wanted


def _at_previous(step: Step, from_province: str, to_province: str, transfer_ids: Select | None) -> Select:
    query = select(Transfer).where(Transfer.kind == KIND, Transfer.from_province == from_province,
                                   Transfer.to_province == to_province, Transfer.step == AFTER[step].value,
                                   Transfer.open_key.isnot(None))
    return query.where(Transfer.id.in_(transfer_ids)) if transfer_ids is not None else query


# --- Which transfers the batch handles -------------------------------------------------------------------------------

def _eligible(session: Session, scope: Select, step: Step, on: date, store: ParameterStore) -> tuple[list[int], list[dict]]:
    """The transfers of the scope the batch takes through the step, and those it leaves with the reason."""
    last_step = select(func.max(TransferStep.on)).where(TransferStep.transfer_id == Transfer.id).scalar_subquery()
    reasons: list[tuple[str, str, ColumnElement[bool]]] = [
        ("transfer.date_before_previous", "the date is before the transfer's last step", last_step > on)]
    if step == Step.CHECKED:
        reasons += _record_elsewhere(store)
    if step == Step.FUNDS_SENT:
        figures = _figures(store)
        reasons.append(("transfer.amount_mismatch", "the old province's ledger changed since the check; check again",
                        or_(Transfer.pooled_fen != figures["pooled"], Transfer.personal_account_fen != figures["account"])))
    refused = []
    for code, why, condition in reasons:
        refused += [{"transfer_id": i, "code": code, "reason_en": why}
                    for i in session.scalars(scope.with_only_columns(Transfer.id).where(condition))]
    taken = scope.with_only_columns(Transfer.id).where(*(~condition for _, _, condition in reasons))
    return list(session.scalars(taken)), refused


def _record_elsewhere(store: ParameterStore) -> list[tuple[str, str, ColumnElement[bool]]]:
    person = Transfer.person_id
    return [
        ("transfer.batch_earlier_move", "the person had an earlier transfer that moved money: use the per-transfer path",
         _other_transfer_moved_money()),
        ("transfer.batch_record_elsewhere", "part of the person's record is outside the old province: use the "
         "per-transfer path", or_(
             exists().where(Assessment.person_id == person, Assessment.province != Transfer.from_province),
             exists().where(ContributionYear.person_id == person, ContributionYear.province != Transfer.from_province))),
        ("transfer.batch_unemployment_claim", "the person has an unemployment claim: use the per-transfer path",
         exists().where(UnemploymentClaim.person_id == person)),
    ]


def _other_transfer_moved_money() -> ColumnElement[bool]:
    other = aliased(Transfer)
    return exists().where(other.person_id == Transfer.person_id, other.id != Transfer.id,
                          other.kind.in_(MONEY_KINDS), other.step.in_(MOVED))


# --- The amounts (as service.holdings counts them, for a person whose record is the old province's) ----------------

def _figures(store: ParameterStore) -> dict[str, ColumnElement[int]]:
    """The old province's months since 1998-01, their bases, the pooled part and the personal account, each a scalar
    subquery correlated on the transfer (one level of correlation, as both databases need)."""
    params = store.at(NATIONAL, date(2026, 1, 1))
    start = Period.parse(params.value("transfers.pooled_share_from").replace("-", ""))
    person, province = Transfer.person_id, Transfer.from_province
    assessed = and_(Assessment.person_id == person, Assessment.province == province, Assessment.pension_account_fen > 0,
                    Assessment.period >= str(start), record._paid())  # noqa: SLF001 - the record's own test of a paid month
    archived = and_(ContributionYear.person_id == person, ContributionYear.province == province,
                    ContributionYear.kind != "deemed", ContributionYear.year >= start.year)

    def total(value: ColumnElement, where: ColumnElement[bool]) -> ColumnElement[int]:
        return cast(select(func.coalesce(func.sum(value), 0)).where(where).scalar_subquery(), BigInteger)

    months = select(func.count()).where(assessed).scalar_subquery() + total(ContributionYear.months, archived)
    every_month = and_(Assessment.person_id == person, Assessment.province == province, Assessment.pension_account_fen > 0,
                       record._paid())  # noqa: SLF001
    every_year = and_(ContributionYear.person_id == person, ContributionYear.province == province,
                      ContributionYear.kind != "deemed")
    all_months = select(func.count()).where(every_month).scalar_subquery() + total(ContributionYear.months, every_year)
    base_sum = total(cast(Assessment.used_base_fen, BigInteger), assessed) + total(ContributionYear.base_sum_fen, archived)
    held = ledger.personal_account_held(person)
    account = func.coalesce(_larger_or_zero(held), 0)
    return {"months": months, "base_sum": base_sum, "all_months": all_months,
            "pooled": rules.pooled_part(cast(base_sum, BigInteger), params.value("transfers.pooled_share_rate")),
            "account": account}


def _larger_or_zero(value: ColumnElement[int]) -> ColumnElement[int]:
    return case((value > 0, value), else_=0)


def _fix_amounts(session: Session, ids: list[int], store: ParameterStore) -> None:
    """The check: the amounts fixed from the old province's record, and what each insurance carries."""
    figures = _figures(store)
    session.execute(update(Transfer).where(Transfer.id.in_(ids)).values(
        months_counted=figures["months"], base_sum_fen=figures["base_sum"], pooled_fen=figures["pooled"],
        personal_account_fen=figures["account"]).execution_options(synchronize_session=False))
    session.execute(insert(TransferItem).from_select(
        ["transfer_id", "insurance", "months", "amount_fen", "rule"],
        select(Transfer.id, literal("employee_pension"), figures["all_months"],
               Transfer.pooled_fen + Transfer.personal_account_fen, literal(PENSION_RULE)).where(Transfer.id.in_(ids))))
    # The other insurances: the months of the participations the old province ended (open ones count nothing,
    # as in service._items), one item per insurance that has any.
    span = (_month_number(Participation.end_date) - _month_number(Participation.start_date) + 1)
    for scheme, rule in SCHEME_RULES.items():
        months = (select(func.coalesce(func.sum(span), 0))
                  .where(Participation.person_id == Transfer.person_id, Participation.province == Transfer.from_province,
                         Participation.scheme == scheme, Participation.end_date.isnot(None)).scalar_subquery())
        rows = select(Transfer.id.label("id"), months.label("months")).where(Transfer.id.in_(ids)).subquery()
        session.execute(insert(TransferItem).from_select(
            ["transfer_id", "insurance", "months", "amount_fen", "rule"],
            select(rows.c.id, literal(scheme), rows.c.months, literal(0, BigInteger), literal(rule)).where(rows.c.months > 0)))


def _month_number(day: ColumnElement[date]) -> ColumnElement[int]:
    text = cast(day, String)
    return cast(func.substr(text, 1, 4), Integer) * 12 + cast(func.substr(text, 6, 2), Integer)


# --- The money ---------------------------------------------------------------------------------------------------

def _post(session: Session, ids: list[int], from_province: str, to_province: str, on: date, actor: str, now: datetime, *,
          sent: bool) -> int:
    """The entries of service._post for every transfer with money, under the same keys; then each transfer records
    its entry."""
    suffix = "sent" if sent else "received"
    key = literal("transfer:") + cast(Transfer.id, String) + literal(f":{suffix}")
    total = Transfer.pooled_fen + Transfer.personal_account_fen
    with_money = (Transfer.id.in_(ids), total > 0) if sent else (Transfer.id.in_(ids), Transfer.sent_entry_id.isnot(None))
    rows = select(Transfer.id).where(*with_money)
    memo = (literal(f"{'转出' if sent else '转入'} {KIND_NAMES[KIND][0]} {from_province}→{to_province} transfer ")
            + cast(Transfer.id, String) + literal(" person ") + cast(Transfer.person_id, String))
    transit = chart.province_account(AccountKind.TRANSFER_TRANSIT, province=NATIONAL)
    if sent:
        lines = [posting.Lines(rows, key, transit, total),
                 posting.Lines(rows, key, chart.province_account(AccountKind.CASH, province=from_province), -total),
                 posting.Lines(rows, key, chart.pooling_fund(PENSION_POOL, province=from_province), Transfer.pooled_fen),
                 posting.Lines(rows, key, chart.pooling_fund(PENSION_POOL, province=to_province), -Transfer.pooled_fen)]
    else:
        lines = [posting.Lines(rows, key, chart.province_account(AccountKind.CASH, province=to_province), total),
                 posting.Lines(rows, key, transit, -total)]
    count = posting.post_entries(
        session=session, province=from_province if sent else to_province, period=str(Period.of(on)),
        kind="transfer_out" if sent else "transfer_in", entries=rows.with_only_columns(key, memo), lines=lines,
        actor=actor, now=now)
    column = Transfer.sent_entry_id if sent else Transfer.received_entry_id
    session.execute(update(Transfer).where(*with_money, column.is_(None))
                    .values({column: posting.entry_id(key)}).execution_options(synchronize_session=False))
    return count


# --- The step, the due day, the notice ----------------------------------------------------------------------------

def _record_steps(session: Session, ids: list[int], step: Step, on: date, from_province: str, to_province: str, actor: str,
                  now: datetime, days: rules.Calendar, deadlines: dict[str, int]) -> None:
    """As service._record_step: the step row (due on the transfer's due day), the transfer's step and its next due
    day, its open key released at the end, and the notice. The next due day counts from the step taken now, or
    (funds_sent after the check) from the letter: the transfers are taken in groups of the day it counts from."""
    side = rules.MOVES[AFTER[step]][step]
    province = to_province if side == rules.Side.NEW else from_province
    stamp = utc_naive(now)
    session.execute(insert(TransferStep).from_select(
        ["transfer_id", "step", "on", "due_on", "province", "actor", "note", "recorded_at"],
        select(Transfer.id, literal(step.value), literal(on), Transfer.due_on, literal(province), literal(actor), literal(""),
               literal(stamp)).where(Transfer.id.in_(ids))))
    following = [s for s in rules.MOVES[step] if s != Step.REFUSED]
    counted_from = {rules.DEADLINE_FROM[s] for s in following}
    groups: list[tuple[date | None, Callable[[Update], Update]]] = []
    if counted_from - {step}:  # from an earlier step's date: one group per distinct date
        (earlier,) = counted_from - {step}
        dated = select(TransferStep.transfer_id, TransferStep.on).where(
            TransferStep.transfer_id.in_(ids), TransferStep.step == earlier.value).subquery()
        for day in session.scalars(select(dated.c.on).distinct()).all():
            chosen = select(dated.c.transfer_id).where(dated.c.on == day)
            groups.append((day, lambda query, chosen=chosen: query.where(Transfer.id.in_(chosen))))
    else:
        groups.append((on, lambda query: query.where(Transfer.id.in_(ids))))
    for start, narrow in groups:
        dates = {s: start for s in counted_from} | {step: on}
        dues = [d for d in (rules.due_on(days, s, dates, deadlines) for s in following) if d is not None]
        due = min(dues) if dues else None
        values = {"step": step.value, "updated_at": stamp, "due_on": due}
        if step not in rules.OPEN_STEPS:
            values["open_key"] = None
        session.execute(narrow(update(Transfer)).values(values).execution_options(synchronize_session=False))
        _tell(session, narrow, step, due, from_province, to_province, stamp)


def _tell(session: Session, narrow: Callable, step: Step, due: date | None, from_province: str, to_province: str,
          stamp: datetime) -> None:
    zh, en = rules.STEP_NAMES[step]
    kind_zh, kind_en = KIND_NAMES[KIND]
    text = f"您的{kind_zh}（{from_province}→{to_province}）{zh}"
    text_en = f"Your {kind_en} ({from_province} → {to_province}): {en}"
    if due:
        text += f"，下一步应于 {due} 前办理"
        text_en += f"; the next step is due by {due}"
    chosen = narrow(select(Transfer.id, Transfer.person_id)).subquery()
    session.execute(insert(TransferNotice).from_select(
        ["transfer_id", "person_id", "step", "text", "text_en", "created_at"],
        select(chosen.c.id, chosen.c.person_id, literal(step.value), literal(text[:300]), literal(text_en[:300]),
               literal(stamp))))
