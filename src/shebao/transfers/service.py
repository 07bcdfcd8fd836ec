"""Transfer use cases: the plan before anything moves, the application, the steps of the two provinces, the
gathering to the place of benefit, scheme conversion, and what a person's archive shows of their moves. One
transaction per use case; the money moves through the ledger's posting API.

The money of a move (国办发〔2009〕66号 art. 4) goes in two entries through the national in-transit account:
  funds sent (posted by the old province): the pooled part's liability passes from the old province's pooling fund
      to the new one's, and the cash leaves the old province's bank for transit:
      Dr pool:pension:OLD pooled · Cr pool:pension:NEW pooled · Dr transfer_transit T · Cr cash:OLD T
  received (posted by the new province): Dr cash:NEW T · Cr transfer_transit T
The personal account is one national account per person: its liability does not move, only the cash behind it.
So a failure between "sent" and "received" leaves the money in transit, visible and owed, and the country's totals
(pools + personal accounts, cash + transit) are the same before, during and after."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from shebao.benefits import record
from shebao.benefits.models import UnemploymentClaim
from shebao.benefits.rules import Group
from shebao.benefits.service import retirement_date
from shebao.core import audit, guards
from shebao.core.clock import china_today, utc_naive
from shebao.core.errors import Conflict, Forbidden, InvalidInput, not_in_scope
from shebao.core.guards import Point, Subject
from shebao.core.money import fen_to_yuan
from shebao.core.periods import Period
from shebao.core.regions import province_of
from shebao.core.security import FieldCipher, Principal, Role
from shebao.enrollment import service as enrollment
from shebao.enrollment.models import Participation
from shebao.ledger import chart
from shebao.ledger import service as ledger
from shebao.ledger.rules import AccountKind, Line
from shebao.policy.store import ParameterStore, default_store
from shebao.registry import divisions
from shebao.registry import service as registry
from shebao.registry.models import Person
from shebao.transfers import rules
from shebao.transfers.models import TemporaryAccount, Transfer, TransferItem, TransferNotice, TransferStep
from shebao.transfers.rules import Side, Step
from shebao.transfers.schemas import (
    BenefitPlaceCase,
    ConversionRequest,
    GatherRequest,
    TransferAmountCase,
    TransferApply,
    TransferStepTake,
)

NATIONAL = "000000"
PENSION_POOL = "pension"
INTEREST = "interest"  # the ledger's kind of year-end interest entries (ledger/batch.py)
MOVED = (Step.FUNDS_SENT.value, Step.RECEIVED.value, Step.COMPLETED.value)  # the money has left the old province
MONEY_KINDS = ("move", "gather")
KIND_NAMES = {"move": ("转移接续", "transfer"), "temporary": ("建立临时缴费账户", "temporary account"),
              "gather": ("归集", "gathering"), "conversion": ("制度衔接", "scheme conversion")}


# --- Calculators (`shebao transfer amount`, `shebao benefit-place`) -------------------------------------------------

def amount_case(*, case: TransferAmountCase, store: ParameterStore | None = None) -> dict:
    """What the old province would send for these months and this personal account, step by step."""
    params = (store or default_store()).at(NATIONAL, date(2026, 1, 1))
    months = [rules.MonthBase(m.period, m.base_fen) for m in case.months]
    return rules.transfer_amount(months, case.personal_account_fen, pooled_rate=params.value("transfers.pooled_share_rate"),
                                 pooled_from=_pooled_from(params)).as_dict()


def benefit_place_case(*, case: BenefitPlaceCase, store: ParameterStore | None = None) -> dict:
    """The province that pays the pension for this history, by which of the four rules, and the months by province."""
    spells = [rules.Spell(s.region, _month(s.from_), _month(s.to), s.temporary) for s in case.history]
    for spell in spells:
        if spell.region[:6] not in divisions.all_divisions():
            raise InvalidInput("region.unknown", f"没有区划 {spell.region}", f"no such region: {spell.region}",
                               region=spell.region)
    minimum = (store or default_store()).at(case.hukou_province, date(2026, 1, 1)).value("pension.benefit_place_minimum_months")
    return rules.benefit_place(hukou_province=province_of(case.hukou_province), spells=spells, minimum_months=minimum).as_dict()


def _month(text: str) -> Period:
    """YYYY-MM, as the calculator's history gives months."""
    return Period.parse(text.replace("-", ""))


def _pooled_from(params) -> Period:  # noqa: ANN001 - a parameter snapshot
    return Period.parse(params.value("transfers.pooled_share_from").replace("-", ""))


def calendar(store: ParameterStore) -> rules.Calendar:
    """The official calendar over every year the parameters record."""
    holidays = {day for _, table in store.changes(NATIONAL, "calendar.holidays") for day in table}
    workdays = {day for _, table in store.changes(NATIONAL, "calendar.workdays") for day in table}
    return rules.Calendar(frozenset(holidays), frozenset(workdays))


# --- A person's record by province ---------------------------------------------------------------------------------

@dataclass
class Holding:
    """What a province holds of a person's pension: the months since 1998-01 and their bases (the pooled part is 12%
    of them), and its part of the personal account."""

    months: int = 0
    base_sum_fen: int = 0
    personal_account_fen: int = 0
    all_months: int = 0

    @property
    def empty(self) -> bool:
        return not (self.months or self.base_sum_fen or self.personal_account_fen or self.all_months)


def holdings(*, session: Session, store: ParameterStore, person_id: int) -> dict[str, Holding]:
    """Each province's holding: its own paid months and archive years, its part of the personal account, plus what
    transfers brought in, minus what they took out (counted from the day the old province sent the funds)."""
    start = _pooled_from(store.at(NATIONAL, date(2026, 1, 1)))
    held: dict[str, Holding] = defaultdict(Holding)
    for province, period, base in session.execute(record.paid_months(person_id)).all():
        held[province].all_months += 1
        if Period.parse(period) >= start:
            held[province].months += 1
            held[province].base_sum_fen += int(base)
    for province, year, kind, months, base_sum in session.execute(record.archive_years(person_id)).all():
        if kind == "deemed":
            continue
        held[province].all_months += months
        if year >= start.year:
            held[province].months += months
            held[province].base_sum_fen += int(base_sum)
    credited = ledger.personal_account_by_province(session=session, person_id=person_id, without_kinds=(INTEREST,))
    for province, amount in credited.items():
        held[province].personal_account_fen += amount
    # The year-end interest is credited by the province that opened the account, wherever the money is since: it
    # belongs to where the relationship is now.
    interest = ledger.personal_account_balance(session=session, person_id=person_id) - sum(credited.values())
    if interest:
        held[relationship_of(session=session, person=session.get(Person, person_id))].personal_account_fen += interest
    moved = session.scalars(select(Transfer).where(Transfer.person_id == person_id, Transfer.kind.in_(MONEY_KINDS),
                                                   Transfer.step.in_(MOVED))).all()
    for transfer in moved:
        for province, sign in ((transfer.from_province, -1), (transfer.to_province, 1)):
            held[province].months += sign * transfer.months_counted
            held[province].base_sum_fen += sign * transfer.base_sum_fen
            held[province].personal_account_fen += sign * transfer.personal_account_fen
            held[province].all_months += sign * _items_months(session, transfer.id)
    return {province: holding for province, holding in held.items() if not holding.empty}


def _items_months(session: Session, transfer_id: int) -> int:
    return session.scalar(select(TransferItem.months).where(TransferItem.transfer_id == transfer_id,
                                                            TransferItem.insurance == "employee_pension")) or 0


def spells(*, session: Session, person_id: int) -> list[rules.Spell]:
    """The person's contribution history as spells of consecutive months in one province, each marked temporary
    when paid into a temporary account: the archive's years first (January on), then the platform's paid months."""
    by_month: dict[Period, str] = {}
    for province, year, _kind, months, _ in session.execute(record.archive_years(person_id)).all():
        month = next((Period(year, m) for m in range(1, 13) if Period(year, m) not in by_month), None)
        for _ in range(months if month else 0):
            if month.year != year:
                break
            by_month[month] = province
            month = month.plus_months(1)
    for province, period, _ in session.execute(record.paid_months(person_id)).all():
        by_month[Period.parse(period)] = province
    accounts = session.scalars(select(TemporaryAccount).where(TemporaryAccount.person_id == person_id)).all()

    def temporary(province: str, month: Period) -> bool:
        return any(a.province == province and a.opened_on <= month.first_day() + timedelta(days=27)
                   and (a.closed_on is None or month.first_day() <= a.closed_on) for a in accounts)

    result: list[rules.Spell] = []
    for month in sorted(by_month):
        province, temp = by_month[month], temporary(by_month[month], month)
        last = result[-1] if result else None
        if last and last.province == province and last.temporary == temp and last.end.plus_months(1) == month:
            result[-1] = rules.Spell(last.region, last.start, month, temp)
        else:
            result.append(rules.Spell(province, month, month, temp))
    return result


def relationship_of(*, session: Session, person: Person) -> str:
    """Where the person's pension relationship is: where the last completed move took it if nothing was paid
    outside a temporary account since, else the last province not paid into as a temporary account, else where they
    are insured, else the hukou province."""
    settled = [s for s in spells(session=session, person_id=person.id) if not s.temporary]
    moved = session.execute(select(Transfer.to_province, Transfer.starts_on).where(
        Transfer.person_id == person.id, Transfer.kind == "move", Transfer.step == Step.COMPLETED.value)
        .order_by(Transfer.id.desc()).limit(1)).first()
    if moved and (not settled or Period.of(moved.starts_on) > settled[-1].end):
        return moved.to_province
    if settled:
        return settled[-1].province
    return _current_province(session, person.id) or province_of(person.hukou_region_code)


def _current_province(session: Session, person_id: int) -> str | None:
    """The province of the person's open employee pension participation, else of their latest one."""
    row = session.scalar(select(Participation.province).where(
        Participation.person_id == person_id, Participation.scheme == "employee_pension")
        .order_by((Participation.status != "ended").desc(), Participation.start_date.desc(), Participation.id.desc()).limit(1))
    return row


def benefit_place_of(*, session: Session, person: Person, day: date, store: ParameterStore | None = None) -> rules.Place:
    """The province that pays this person's pension on a day, by the four rules over their whole history."""
    store = store or default_store()
    hukou = province_of(person.hukou_region_code)
    minimum = store.at(hukou, day).value("pension.benefit_place_minimum_months")
    return rules.benefit_place(hukou_province=hukou, spells=spells(session=session, person_id=person.id),
                               minimum_months=minimum, relationship=relationship_of(session=session, person=person))


def ungathered(*, session: Session, person_id: int, place: str, store: ParameterStore | None = None) -> list[dict]:
    """What provinces other than the place of benefit still hold of the person's pension (money, months, or a
    temporary account not yet gathered): it must be gathered to the place before the award."""
    store = store or default_store()
    held = holdings(session=session, store=store, person_id=person_id)
    open_accounts = {a.province for a in session.scalars(select(TemporaryAccount).where(
        TemporaryAccount.person_id == person_id, TemporaryAccount.is_open.is_(True)))}
    return [{"province": province, "months": held.get(province, Holding()).months,
             "base_sum_fen": held.get(province, Holding()).base_sum_fen,
             "personal_account_fen": held.get(province, Holding()).personal_account_fen,
             "temporary_account": province in open_accounts}
            for province in sorted(set(held) | open_accounts) if province != place]


# --- Plan and apply ------------------------------------------------------------------------------------------------

@dataclass
class _Move:
    kind: str
    from_province: str
    current_province: str
    relationship_province: str
    opens_temporary: bool
    why: str
    why_en: str


def _decide(session: Session, store: ParameterStore, person: Person, to_province: str, on: date) -> _Move:
    """What kind of transfer a move to `to_province` is, and from where."""
    current = _current_province(session, person.id) or relationship_of(session=session, person=person)
    relationship = relationship_of(session=session, person=person)
    hukou = province_of(person.hukou_region_code)
    if to_province == current:
        raise Conflict("transfer.same_province", f"此人已在 {to_province} 参保，省内流动不需要办理跨省转移",
                       f"the person is insured in {to_province} already: a move within a province needs no transfer",
                       province=to_province)
    if not spells(session=session, person_id=person.id) and _current_province(session, person.id) is None:
        raise Conflict("transfer.no_record", "此人没有养老保险参保记录，直接在新参保地参保即可",
                       "the person has no pension record: they simply enroll in the new province")
    params = store.at(to_province, on)
    temporary = rules.opens_temporary_account(
        sex=person.sex, birth_date=person.birth_date, on=on, hukou_province=hukou, to_province=to_province,
        men_from_age=params.value("transfers.temporary_account_men_from_age"),
        women_from_age=params.value("transfers.temporary_account_women_from_age"))
    names = {code: _province_name(session, code) for code in {current, relationship, to_province}}
    if to_province == relationship and current != relationship:
        return _Move("gather", current, current, relationship, False,
                     f"回到养老保险关系所在地{names[relationship]}：{names[current]}的临时缴费账户归集到此",
                     f"back to the relationship's province {relationship}: the temporary account in {current} is gathered there")
    if temporary:
        age = rules.age_in_years(person.birth_date, on)
        return _Move("temporary", relationship, current, relationship, True,
                     f"{'男' if person.sex == 'M' else '女'}性 {age} 岁，转入非户籍省{names[to_province]}：关系留在"
                     f"{names[relationship]}，在新参保地建立临时基本养老保险缴费账户（国办发〔2009〕66号第五条）",
                     f"{'a man' if person.sex == 'M' else 'a woman'} of {age} moving to {to_province}, not the hukou "
                     f"province: the relationship stays in {relationship} and a temporary account opens (国办发〔2009〕66号 "
                     "art. 5)")
    share = params.value("transfers.pooled_share_rate")
    return _Move("move", relationship, current, relationship, False,
                 f"养老保险关系从{names[relationship]}转入{names[to_province]}，个人账户全部和统筹基金 {share:.0%} 随转",
                 f"the relationship moves from {relationship} to {to_province} with the whole personal account and "
                 f"{share:.0%} of the bases from the pooling fund")


def _province_name(session: Session, code: str) -> str:
    """A province as people read it, its code after it: 北京市（110000）."""
    return f"{registry.region_full_name(session=session, code=code)}（{code}）"


def plan(*, session: Session, principal: Principal, person_id: int, to_region: str, on: date,
         store: ParameterStore | None = None) -> dict:
    """What a transfer to `to_region` would move, before anything moves: its kind, the amounts by the rule, each
    insurance's months, the temporary accounts, and where the pension would be paid now."""
    store = store or default_store()
    person = registry.require_person_in_scope(principal, session.get(Person, person_id))
    region = registry.require_current_region(session=session, code=to_region, field="to_region").code
    to_province = province_of(region)
    move = _decide(session, store, person, to_province, on)
    amount, all_months = _amount_for(session, store, person.id, move.kind, move.from_province)
    items = _items(session, person.id, move.from_province, move.kind, amount, all_months, on)
    return {"person_id": person.id, "to_region": region, "to_province": to_province, "kind": move.kind,
            "kind_zh": KIND_NAMES[move.kind][0], "from_province": move.from_province,
            "current_province": move.current_province, "relationship_province": move.relationship_province,
            "opens_temporary_account": move.opens_temporary, "reason": move.why, "reason_en": move.why_en,
            "amount": amount.as_dict(), "items": items,
            "temporary_accounts": temporary_accounts_of(session=session, person_id=person.id),
            "benefit_place_now": benefit_place_of(session=session, person=person, day=on, store=store).as_dict(),
            "deadlines_working_days": store.at(to_province, on).value("transfers.deadline_working_days")}


def apply(*, session: Session, principal: Principal, cipher: FieldCipher, command: TransferApply, now: datetime,
          store: ParameterStore | None = None) -> dict:
    """The person applies in the new province (online, or at its counter): the move is decided, the person's
    participations elsewhere end the day before the new start, and the new province's letter is due."""
    store = store or default_store()
    principal.require_role(Role.INSURED, Role.STAFF, Role.ADMIN)
    person = _applicant(session, principal, cipher, command)
    region = registry.require_current_region(session=session, code=command.to_region, field="to_region").code
    if principal.role == Role.STAFF:
        principal.require_region(region)
    today = china_today(now)
    if command.starts_on > today + timedelta(days=366):
        raise InvalidInput("transfer.starts_too_late", f"新参保日期 {command.starts_on} 超过一年以后",
                           f"the new start {command.starts_on} is more than a year ahead")
    guards.check(Point.TRANSFER_APPLY, session=session, actor=principal, now=now, use_case="transfers.apply",
                 subject=Subject("person", person.id, person_id=person.id, region_code=person.residence_region_code,
                                 details={"to_region": region}))
    _refuse_if_open(session, person.id)
    to_province = province_of(region)
    move = _decide(session, store, person, to_province, command.starts_on)
    ended = enrollment.end_for_event(session=session, person_id=person.id, last_day=command.starts_on - timedelta(days=1),
                                     reason=f"跨省转移至 {to_province} transfer to {to_province}", actor=principal.actor,
                                     now=now, outside_province=to_province)
    _close_temporary_accounts(session, person.id, to_province, command.starts_on)
    transfer = Transfer(person_id=person.id, kind=move.kind, from_province=move.from_province, to_province=to_province,
                        to_region=region, step=Step.APPLIED.value, open_key=f"p{person.id}",
                        channel="online" if principal.role == Role.INSURED else command.channel,
                        applied_on=today, starts_on=command.starts_on, created_by=principal.actor,
                        created_at=utc_naive(now), updated_at=utc_naive(now), months_counted=0, base_sum_fen=0,
                        pooled_fen=0, personal_account_fen=0, refused_reason="")
    session.add(transfer)
    session.flush()
    _record_step(session, store, transfer, Step.APPLIED, today, to_province, principal.actor, move.why[:200], now)
    audit.append(session, actor=principal.actor, action="transfer.applied", subject=f"person:{person.id}", now=now,
                 transfer=transfer.id, kind=move.kind, from_province=move.from_province, to_province=to_province,
                 ended_participations=[p.id for p in ended])
    return _read(session, transfer) | {"reason": move.why, "reason_en": move.why_en,
                                       "ended_participations": [p.id for p in ended]}


def _applicant(session: Session, principal: Principal, cipher: FieldCipher, command: TransferApply) -> Person:
    """The applicant: the insured themselves online, or at a counter a person staff serve — or anyone who shows
    their own ID number there (a new arrival is not yet the new province's)."""
    person = session.get(Person, command.person_id)
    if principal.role in (Role.INSURED, Role.ADMIN) or person is None:
        return registry.require_person_in_scope(principal, person)
    if principal.serves(person.residence_region_code, person.hukou_region_code):
        return person
    shown = (command.holder_id_number or "").strip().upper()
    if shown and cipher.lookup_hash(shown) == person.id_number_hash:
        return person
    raise not_in_scope("人员", "person")


def _refuse_if_open(session: Session, person_id: int) -> None:
    open_one = session.scalar(select(Transfer).where(Transfer.person_id == person_id, Transfer.open_key.isnot(None))
                              .limit(1))
    if open_one is not None:
        raise Conflict("transfer.open", f"此人已有办理中的转移（{open_one.id}，{rules.STEP_NAMES[Step(open_one.step)][0]}）",
                       f"the person has a transfer in progress ({open_one.id}, {open_one.step})", transfer_id=open_one.id)


def _close_temporary_accounts(session: Session, person_id: int, to_province: str, starts_on: date) -> None:
    """Moving on from a temporary account's province: nothing more is paid into it (it waits to be gathered)."""
    for account in session.scalars(select(TemporaryAccount).where(
            TemporaryAccount.person_id == person_id, TemporaryAccount.closed_on.is_(None),
            TemporaryAccount.province != to_province)):
        account.closed_on = max(account.opened_on, starts_on - timedelta(days=1))


# --- The steps -----------------------------------------------------------------------------------------------------

def take_step(*, session: Session, principal: Principal, transfer_id: int, command: TransferStepTake, now: datetime,
              store: ParameterStore | None = None) -> dict:
    """One step of a transfer, by the province whose step it is, in the order of rules.MOVES."""
    store = store or default_store()
    principal.require_role(Role.STAFF, Role.ADMIN)
    transfer = _in_scope(session, principal, transfer_id)
    wanted = Step(command.step)
    side = rules.require_move(Step(transfer.step), wanted)
    province = transfer.to_province if side == Side.NEW else transfer.from_province
    _require_side(principal, transfer, side, province)
    _check_step_date(session, transfer, command.on, now)
    if wanted == Step.REFUSED and not command.note.strip():
        raise InvalidInput("transfer.refusal_reason", "拒绝转移须写明原因", "a refusal states its reason", field="note")
    effects = {Step.CHECKED: _check, Step.FUNDS_SENT: _send, Step.RECEIVED: _receive, Step.COMPLETED: _complete}
    if wanted in effects:
        effects[wanted](session, store, transfer, command, principal, now)
    if wanted == Step.REFUSED:
        transfer.refused_reason = command.note.strip()[:200]
    _record_step(session, store, transfer, wanted, command.on, province, principal.actor, command.note, now)
    audit.append(session, actor=principal.actor, action=f"transfer.{wanted.value}", subject=f"transfer:{transfer.id}",
                 now=now, person=transfer.person_id, province=province, on=command.on.isoformat())
    return _read(session, transfer)


def _in_scope(session: Session, principal: Principal, transfer_id: int) -> Transfer:
    transfer = session.get(Transfer, transfer_id)
    if transfer is None or not _may_see(session, principal, transfer):
        raise not_in_scope("转移申请", "transfer")
    return transfer


def _may_see(session: Session, principal: Principal, transfer: Transfer) -> bool:
    if principal.role == Role.INSURED:
        return principal.person_id == transfer.person_id
    person = session.get(Person, transfer.person_id)
    return principal.serves(transfer.to_region, transfer.from_province, transfer.to_province,
                            person.residence_region_code, person.hukou_region_code)


def _require_side(principal: Principal, transfer: Transfer, side: Side, province: str) -> None:
    if principal.role == Role.ADMIN or principal.serves(province if side == Side.OLD else transfer.to_region):
        return
    zh = "转入地（新参保地）" if side == Side.NEW else "转出地（原参保地）"
    en = "the new province" if side == Side.NEW else "the old province"
    raise Forbidden("transfer.wrong_side", f"这一步由{zh} {province} 办理，不在您的管辖范围内",
                    f"this step is taken by {en} ({province}), outside your jurisdiction", province=province)


def _check_step_date(session: Session, transfer: Transfer, on: date, now: datetime) -> None:
    latest = session.scalar(select(TransferStep.on).where(TransferStep.transfer_id == transfer.id)
                            .order_by(TransferStep.id.desc()).limit(1))
    if on > china_today(now):
        raise InvalidInput("transfer.date_in_future", f"日期 {on} 晚于今天", f"the date {on} is in the future")
    if latest is not None and on < latest:
        raise InvalidInput("transfer.date_before_previous", f"日期 {on} 早于上一步（{latest}）",
                           f"the date {on} is before the previous step ({latest})")


def _amount_for(session: Session, store: ParameterStore, person_id: int, kind: str,
                from_province: str) -> tuple[rules.TransferAmount, int]:
    """The amounts by the rule from what the old province holds (the whole personal account for a conversion), and
    all the months that go with them (those before 1998 too)."""
    rate = store.at(NATIONAL, date(2026, 1, 1)).value("transfers.pooled_share_rate")
    if kind == "temporary":
        return rules.NOTHING_MOVES, 0
    if kind == "conversion":
        balance = ledger.personal_account_balance(session=session, person_id=person_id)
        return rules.held_amount(province=from_province, months=0, base_sum_fen=0, personal_account_fen=balance,
                                 pooled_rate=rate), 0
    held = holdings(session=session, store=store, person_id=person_id).get(from_province, Holding())
    return rules.held_amount(province=from_province, months=held.months, base_sum_fen=held.base_sum_fen,
                             personal_account_fen=held.personal_account_fen, pooled_rate=rate), held.all_months


def _items(session: Session, person_id: int, from_province: str, kind: str, amount: rules.TransferAmount,
           pension_months: int, on: date) -> list[dict]:
    """What each insurance carries, by its own rule: the pension its money, medical and unemployment their months
    (years recognised, months carried over), the residents' scheme its months."""
    months: dict[str, int] = defaultdict(int)
    for scheme, start, end in session.execute(select(Participation.scheme, Participation.start_date, Participation.end_date)
                                              .where(Participation.person_id == person_id,
                                                     Participation.province == from_province)).all():
        months[scheme] += max(Period.of(start).months_until(Period.of(min(end or on, on))) + 1, 0)
    left = session.scalar(select(UnemploymentClaim.months_left).where(UnemploymentClaim.person_id == person_id)
                          .order_by(UnemploymentClaim.id.desc()).limit(1)) or 0
    items = [{"insurance": "employee_pension", "months": pension_months, "amount_fen": amount.total_fen,
              "rule": "个人账户全部储存额 + 1998 年起缴费基数之和的 12%（国办发〔2009〕66号第四条）"}]
    if kind not in MONEY_KINDS:
        return items
    if months["medical"]:
        items.append({"insurance": "medical", "months": months["medical"], "amount_fen": 0,
                      "rule": "医保缴费年限互认、累计计算（医保发〔2021〕43号）；医保个人账户本平台不记账"})
    if months["unemployment"] or left:
        items.append({"insurance": "unemployment", "months": months["unemployment"], "amount_fen": 0,
                      "rule": f"失业保险缴费时间累计计算；未领完的失业保险金 {left} 个月保留，重新领取时合并（失业保险条例第十七条）"})
    if months["resident_pension"]:
        items.append({"insurance": "resident_pension", "months": months["resident_pension"], "amount_fen": 0,
                      "rule": "城乡居民养老保险缴费年限累计计算"})
    return items


def _check(session: Session, store: ParameterStore, transfer: Transfer, command: TransferStepTake, principal: Principal,
           now: datetime) -> None:
    """The old province checks the letter and fixes the amounts from its ledger."""
    amount, all_months = _amount_for(session, store, transfer.person_id, transfer.kind, transfer.from_province)
    if transfer.kind != "conversion":  # a conversion's months are the target scheme's, fixed when it was decided
        transfer.months_counted, transfer.base_sum_fen = amount.months_counted, amount.base_sum_fen
    transfer.pooled_fen, transfer.personal_account_fen = amount.pooled_fen, amount.personal_account_fen
    for item in _items(session, transfer.person_id, transfer.from_province, transfer.kind, amount, all_months, command.on):
        session.add(TransferItem(transfer_id=transfer.id, **item))


def _send(session: Session, store: ParameterStore, transfer: Transfer, command: TransferStepTake, principal: Principal,
          now: datetime) -> None:
    """The old province sends: the amounts must still be its ledger's and, if given, the clerk's; then the money
    leaves through the in-transit account."""
    amount, _ = _amount_for(session, store, transfer.person_id, transfer.kind, transfer.from_province)
    stored = (transfer.pooled_fen, transfer.personal_account_fen)
    if (amount.pooled_fen, amount.personal_account_fen) != stored:
        raise Conflict("transfer.amount_mismatch",
                       f"转出地账务已变动：审核时统筹 {fen_to_yuan(stored[0])} 元、个人账户 {fen_to_yuan(stored[1])} 元，现为 "
                       f"{fen_to_yuan(amount.pooled_fen)} 元、{fen_to_yuan(amount.personal_account_fen)} 元；请重新审核",
                       f"the old province's ledger changed since the check: pooled {stored[0]} and account {stored[1]} fen "
                       f"then, {amount.pooled_fen} and {amount.personal_account_fen} now; check again",
                       checked=list(stored), ledger=[amount.pooled_fen, amount.personal_account_fen])
    _require_figures(command, transfer)
    if transfer.kind not in MONEY_KINDS or transfer.pooled_fen + transfer.personal_account_fen == 0:
        return
    transfer.sent_entry_id = _post(session, transfer, command.on, principal, now, sent=True)


def _receive(session: Session, store: ParameterStore, transfer: Transfer, command: TransferStepTake, principal: Principal,
             now: datetime) -> None:
    total = transfer.pooled_fen + transfer.personal_account_fen
    if command.amount_fen is not None and command.amount_fen != total:
        raise Conflict("transfer.amount_mismatch", f"到账金额 {fen_to_yuan(command.amount_fen)} 元与转出金额 {fen_to_yuan(total)} 元不符",
                       f"{command.amount_fen} fen received, {total} fen sent", received=command.amount_fen, sent=total)
    if transfer.sent_entry_id is not None:
        transfer.received_entry_id = _post(session, transfer, command.on, principal, now, sent=False)


def _require_figures(command: TransferStepTake, transfer: Transfer) -> None:
    for given, stored, zh, en in ((command.pooled_fen, transfer.pooled_fen, "统筹基金", "pooled part"),
                                  (command.personal_account_fen, transfer.personal_account_fen, "个人账户", "personal account")):
        if given is not None and given != stored:
            raise Conflict("transfer.amount_mismatch", f"{zh}金额 {fen_to_yuan(given)} 元与转出地账务 {fen_to_yuan(stored)} 元不符",
                           f"the {en} given, {given} fen, is not the ledger's {stored} fen", given=given, ledger=stored)


def _post(session: Session, transfer: Transfer, on: date, principal: Principal, now: datetime, *, sent: bool) -> int:
    """The transfer's entry: sending (old province) or receiving (new province), through the in-transit account."""
    def account(a: chart.Account) -> int:
        return ledger.account_id(session=session, account=a, now=now)

    total = transfer.pooled_fen + transfer.personal_account_fen
    transit = account(chart.province_account(AccountKind.TRANSFER_TRANSIT, province=NATIONAL))
    if sent:
        lines = [Line(transit, total), Line(account(chart.province_account(AccountKind.CASH, province=transfer.from_province)), -total)]
        if transfer.pooled_fen:
            lines += [Line(account(chart.pooling_fund(PENSION_POOL, province=transfer.from_province)), transfer.pooled_fen),
                      Line(account(chart.pooling_fund(PENSION_POOL, province=transfer.to_province)), -transfer.pooled_fen)]
        province, kind = transfer.from_province, "transfer_out"
    else:
        lines = [Line(account(chart.province_account(AccountKind.CASH, province=transfer.to_province)), total),
                 Line(transit, -total)]
        province, kind = transfer.to_province, "transfer_in"
    posted = ledger.post_entry(
        session=session, key=f"transfer:{transfer.id}:{'sent' if sent else 'received'}", province=province,
        period=str(Period.of(on)), kind=kind, lines=lines, actor=principal.actor, now=now,
        memo=f"{'转出' if sent else '转入'} {KIND_NAMES[transfer.kind][0]} {transfer.from_province}→{transfer.to_province} "
             f"transfer {transfer.id} person {transfer.person_id}")
    return posted.id


def _complete(session: Session, store: ParameterStore, transfer: Transfer, command: TransferStepTake, principal: Principal,
              now: datetime) -> None:
    """The record continues in the new province: a temporary account opens, or gathered accounts close."""
    if transfer.kind == "temporary":
        session.add(TemporaryAccount(person_id=transfer.person_id, province=transfer.to_province,
                                     relationship_province=transfer.from_province, opened_on=transfer.starts_on,
                                     opened_by_transfer_id=transfer.id, is_open=True))
    if transfer.kind == "gather":
        for account in session.scalars(select(TemporaryAccount).where(
                TemporaryAccount.person_id == transfer.person_id, TemporaryAccount.province == transfer.from_province,
                TemporaryAccount.is_open.is_(True))):
            account.is_open, account.gathered_by_transfer_id = False, transfer.id
            account.closed_on = account.closed_on or command.on
    if transfer.kind == "conversion":
        enrollment.end_for_event(session=session, person_id=transfer.person_id, last_day=command.on,
                                 reason=f"制度衔接 scheme conversion ({transfer.direction})", actor=principal.actor, now=now)
    session.flush()


def _record_step(session: Session, store: ParameterStore, transfer: Transfer, step: Step, on: date, province: str,
                 actor: str, note: str, now: datetime) -> None:
    due = transfer.due_on if step != Step.APPLIED else None
    session.add(TransferStep(transfer_id=transfer.id, step=step.value, on=on, due_on=due, province=province, actor=actor,
                             note=note[:200], recorded_at=utc_naive(now)))
    session.flush()
    transfer.step, transfer.updated_at = step.value, utc_naive(now)
    dates = {Step(s.step): s.on for s in session.scalars(select(TransferStep).where(TransferStep.transfer_id == transfer.id))}
    deadlines = store.at(transfer.to_province, on).value("transfers.deadline_working_days")
    following = [s for s in rules.MOVES[step] if s != Step.REFUSED]
    days = calendar(store)  # built once: every following step's due day counts on the same calendar
    dues = [d for d in (rules.due_on(days, s, dates, deadlines) for s in following) if d is not None]
    transfer.due_on = min(dues) if dues else None
    if step not in rules.OPEN_STEPS:
        transfer.open_key = None
    _tell(session, transfer, step, now)


def _tell(session: Session, transfer: Transfer, step: Step, now: datetime) -> None:
    """The person is told at each step (the notice the SMS / app sends)."""
    zh, en = rules.STEP_NAMES[step]
    kind_zh, kind_en = KIND_NAMES[transfer.kind]
    text = f"您的{kind_zh}（{transfer.from_province}→{transfer.to_province}）{zh}"
    text_en = f"Your {kind_en} ({transfer.from_province} → {transfer.to_province}): {en}"
    if step == Step.REFUSED:
        text, text_en = f"{text}：{transfer.refused_reason}", f"{text_en}: {transfer.refused_reason}"
    elif transfer.due_on:
        text += f"，下一步应于 {transfer.due_on} 前办理"
        text_en += f"; the next step is due by {transfer.due_on}"
    session.add(TransferNotice(transfer_id=transfer.id, person_id=transfer.person_id, step=step.value, text=text[:300],
                               text_en=text_en[:300], created_at=utc_naive(now)))


# --- Reading ---------------------------------------------------------------------------------------------------------

def status(*, session: Session, principal: Principal, transfer_id: int) -> dict:
    """One transfer with its steps, items, the notices sent to the person, and whether it is overdue."""
    transfer = _in_scope(session, principal, transfer_id)
    notices = session.scalars(select(TransferNotice).where(TransferNotice.transfer_id == transfer.id)
                              .order_by(TransferNotice.id)).all()
    return _read(session, transfer) | {"notices": [{"step": n.step, "text": n.text, "text_en": n.text_en,
                                                    "at": n.created_at.isoformat()} for n in notices]}


def notices_to_person(*, session: Session, person_id: int, limit: int = 50) -> list[dict]:
    """The notices a person was sent about their transfers (every step), newest first, keyed on the person stored."""
    notices = session.scalars(select(TransferNotice).where(TransferNotice.person_id == person_id)
                              .order_by(TransferNotice.id.desc()).limit(max(1, min(limit, 200)))).all()
    return [{"transfer_id": n.transfer_id, "step": n.step, "text": n.text, "text_en": n.text_en, "at": n.created_at}
            for n in notices]


def list_transfers(*, session: Session, principal: Principal, now: datetime, province: str | None = None,
                   overdue: bool = False, open_only: bool = False, limit: int = 200) -> list[dict]:
    """Transfers touching the caller's region (either side, or the person's residence or hukou there: the same the
    caller may open), newest first; `overdue`: open ones past their due day (the staff's overdue list)."""
    principal.require_role(Role.STAFF, Role.ADMIN, Role.AUDITOR, Role.INSURED)
    query = select(Transfer)
    if principal.role == Role.INSURED:
        query = query.where(Transfer.person_id == principal.person_id)
    elif principal.role == Role.STAFF:
        prefix = _region_prefix(principal.region_code or "")
        theirs = select(Person.id).where(Person.id == Transfer.person_id, or_(
            Person.residence_region_code.startswith(prefix), Person.hukou_region_code.startswith(prefix))).exists()
        query = query.where(or_(Transfer.to_region.startswith(prefix), Transfer.from_province.startswith(prefix), theirs))
    if province:
        query = query.where(or_(Transfer.from_province == province, Transfer.to_province == province))
    if overdue:
        query = query.where(Transfer.open_key.isnot(None), Transfer.due_on < china_today(now))
    elif open_only:
        query = query.where(Transfer.open_key.isnot(None))
    rows = session.scalars(query.order_by(Transfer.id.desc()).limit(limit)).all()
    today, days = china_today(now), calendar(default_store())
    return [_read(session, t) | {"overdue_working_days": _late_by(t, today, days)} for t in rows]


def _region_prefix(code: str) -> str:
    """The leading digits every region inside `code` shares: 11 for 110000, 1101 for 110100, the code itself below."""
    if len(code) == 6 and code[2:] == "0000":
        return code[:2]
    if len(code) == 6 and code[4:] == "00":
        return code[:4]
    return code


def _late_by(transfer: Transfer, today: date, days: rules.Calendar) -> int:
    """Working days past the due day (at least 1 once the due day is past)."""
    if transfer.open_key is None or transfer.due_on is None or transfer.due_on >= today:
        return 0
    return days.working_days_between(transfer.due_on, today) or 1


def history_of(*, session: Session, person_id: int) -> list[dict]:
    """Every transfer of a person, oldest first, with its steps and what each insurance carried (the archive's
    'transfers' section)."""
    transfers = session.scalars(select(Transfer).where(Transfer.person_id == person_id).order_by(Transfer.id)).all()
    return [_read(session, transfer) for transfer in transfers]


def temporary_accounts_of(*, session: Session, person_id: int) -> list[dict]:
    """The person's temporary accounts, open and gathered, oldest first."""
    rows = session.scalars(select(TemporaryAccount).where(TemporaryAccount.person_id == person_id)
                           .order_by(TemporaryAccount.id)).all()
    return [{"id": t.id, "province": t.province, "relationship_province": t.relationship_province,
             "opened_on": t.opened_on.isoformat(), "closed_on": t.closed_on.isoformat() if t.closed_on else None,
             "open": t.is_open, "gathered_by_transfer_id": t.gathered_by_transfer_id} for t in rows]


def _read(session: Session, transfer: Transfer) -> dict:
    steps = session.scalars(select(TransferStep).where(TransferStep.transfer_id == transfer.id)
                            .order_by(TransferStep.id)).all()
    items = session.scalars(select(TransferItem).where(TransferItem.transfer_id == transfer.id)
                            .order_by(TransferItem.id)).all()
    step = Step(transfer.step)
    return {
        "id": transfer.id, "person_id": transfer.person_id, "kind": transfer.kind,
        "kind_zh": KIND_NAMES[transfer.kind][0], "kind_en": KIND_NAMES[transfer.kind][1],
        "from_province": transfer.from_province, "to_province": transfer.to_province, "to_region": transfer.to_region,
        "step": step.value, "step_zh": rules.STEP_NAMES[step][0], "step_en": rules.STEP_NAMES[step][1],
        "open": step in rules.OPEN_STEPS, "channel": transfer.channel, "applied_on": transfer.applied_on.isoformat(),
        "starts_on": transfer.starts_on.isoformat(), "due_on": transfer.due_on.isoformat() if transfer.due_on else None,
        "next_steps": [s.value for s in rules.MOVES[step]], "direction": transfer.direction,
        "months_counted": transfer.months_counted, "base_sum_fen": transfer.base_sum_fen, "pooled_fen": transfer.pooled_fen,
        "personal_account_fen": transfer.personal_account_fen,
        "total_fen": transfer.pooled_fen + transfer.personal_account_fen, "refused_reason": transfer.refused_reason,
        "steps": [{"step": s.step, "step_zh": rules.STEP_NAMES[Step(s.step)][0], "on": s.on.isoformat(),
                   "due_on": s.due_on.isoformat() if s.due_on else None, "province": s.province, "actor": s.actor,
                   "note": s.note, "late": bool(s.due_on and s.on > s.due_on)} for s in steps],
        "items": [{"insurance": i.insurance, "months": i.months, "amount_fen": i.amount_fen, "rule": i.rule}
                  for i in items],
    }


# --- Gathering to the place of benefit, and scheme conversion --------------------------------------------------------

def gather(*, session: Session, principal: Principal, command: GatherRequest, now: datetime,
           store: ParameterStore | None = None) -> dict:
    """Before the award: every province other than the place of benefit that holds part of the person's pension
    (a temporary account, or — under rule 4 — the relationship itself) starts a gathering to the place."""
    store = store or default_store()
    principal.require_role(Role.STAFF, Role.ADMIN)
    person = registry.require_person_in_scope(principal, session.get(Person, command.person_id)) \
        if principal.role == Role.ADMIN else session.get(Person, command.person_id)
    if person is None:
        raise not_in_scope("人员", "person")
    place = benefit_place_of(session=session, person=person, day=command.on, store=store)
    if principal.role == Role.STAFF and not principal.serves(place.province):
        if not principal.serves(person.residence_region_code, person.hukou_region_code):
            raise not_in_scope("人员", "person")
        raise Forbidden("transfer.wrong_side", f"归集由待遇领取地 {place.province} 办理",
                        f"the gathering is started by the place of benefit, {place.province}", province=place.province)
    guards.check(Point.TRANSFER_APPLY, session=session, actor=principal, now=now, use_case="transfers.gather",
                 subject=Subject("person", person.id, person_id=person.id, region_code=person.residence_region_code,
                                 details={"to_province": place.province}))
    blocking = session.scalar(select(Transfer.id).where(Transfer.person_id == person.id, Transfer.open_key == f"p{person.id}"))
    if blocking is not None:
        raise Conflict("transfer.open", f"此人有办理中的转移（{blocking}），办结后再归集",
                       f"the person has a transfer in progress ({blocking}); gather after it", transfer_id=blocking)
    started = []
    today = china_today(now)
    for part in ungathered(session=session, person_id=person.id, place=place.province, store=store):
        key = f"p{person.id}:g{part['province']}"
        if session.scalar(select(Transfer.id).where(Transfer.open_key == key)) is not None:
            continue
        transfer = Transfer(person_id=person.id, kind="gather", from_province=part["province"], to_province=place.province,
                            to_region=place.province, step=Step.APPLIED.value, open_key=key, channel="system",
                            applied_on=today, starts_on=command.on, created_by=principal.actor, created_at=utc_naive(now),
                            updated_at=utc_naive(now), months_counted=0, base_sum_fen=0, pooled_fen=0,
                            personal_account_fen=0, refused_reason="")
        session.add(transfer)
        session.flush()
        _record_step(session, store, transfer, Step.APPLIED, today, place.province, principal.actor,
                     f"归集到待遇领取地 {place.province}（第 {place.rule} 条）", now)
        started.append(_read(session, transfer))
    audit.append(session, actor=principal.actor, action="transfer.gather", subject=f"person:{person.id}", now=now,
                 place=place.province, rule=place.rule, started=[t["id"] for t in started])
    return {"person_id": person.id, "benefit_place": place.as_dict(), "started": started}


def convert(*, session: Session, principal: Principal, command: ConversionRequest, now: datetime,
            store: ParameterStore | None = None) -> dict:
    """Employee ↔ residents' pension (人社部发〔2014〕17号): decided by the rule, then taken through the same steps
    within the one province (letter, check, send, receive, complete); the pooled part never moves."""
    store = store or default_store()
    principal.require_role(Role.STAFF, Role.ADMIN)
    person = registry.require_person_in_scope(principal, session.get(Person, command.person_id))
    region = registry.require_current_region(session=session, code=command.region_code, field="region_code").code
    if principal.role == Role.STAFF:
        principal.require_region(region)
    guards.check(Point.TRANSFER_APPLY, session=session, actor=principal, now=now, use_case="transfers.apply",
                 subject=Subject("person", person.id, person_id=person.id, region_code=person.residence_region_code,
                                 details={"to_region": region}))
    _refuse_if_open(session, person.id)
    params = store.at(region, command.on)
    employee = sum(h.all_months for h in holdings(session=session, store=store, person_id=person.id).values())
    group = Group.MALE if person.sex == "M" else Group.FEMALE_WORKER  # the earliest statutory age of the sex
    reached = command.on >= retirement_date(birth_date=person.birth_date, sex=person.sex, group=group, region=region,
                                            store=store).statutory_date
    decision = rules.conversion(rules.Direction(command.direction), employee_months=employee, resident_months=0,
                                minimum_months=params.value("transfers.conversion_minimum_months"), at_retirement_age=reached)
    if not decision.allowed:
        raise Conflict("transfer.conversion_refused", decision.reason, decision.reason_en, direction=command.direction)
    province, today = province_of(region), china_today(now)
    transfer = Transfer(person_id=person.id, kind="conversion", from_province=province, to_province=province,
                        to_region=region, step=Step.APPLIED.value, open_key=f"p{person.id}", channel="counter",
                        applied_on=today, starts_on=command.on, direction=command.direction, created_by=principal.actor,
                        created_at=utc_naive(now), updated_at=utc_naive(now), months_counted=decision.months_counted_in_target,
                        base_sum_fen=0, pooled_fen=0, personal_account_fen=0, refused_reason="")
    session.add(transfer)
    session.flush()
    _record_step(session, store, transfer, Step.APPLIED, today, province, principal.actor, decision.reason[:200], now)
    audit.append(session, actor=principal.actor, action="transfer.conversion", subject=f"person:{person.id}", now=now,
                 transfer=transfer.id, direction=command.direction)
    return _read(session, transfer) | {"reason": decision.reason, "reason_en": decision.reason_en}
