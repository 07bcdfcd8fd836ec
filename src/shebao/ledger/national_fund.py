"""The national adjustment of the employee pension (中央调剂, from 2022 全国统筹): the yearly settlement and its
statements.

Once a year is over, each province remits a share of its contribution base from its pension pooling fund to the
national fund's one account, and the year's pot is paid back out to the provinces by their retirees
(国发〔2018〕18号; the rule and its arithmetic in `ledger/rules.py`, `settle_national_fund`; the numbers in
policy/parameters/national/national_fund.yaml). The settlement

  1. reads each province's figures set-based, one GROUP BY per table: the year's pension bases actually assessed
     (the current version of each person-month, pension contributions above zero) and the retirees on the rolls in
     December (pension awards begun by then and not stopped before);
  2. shares the pot to the fen (largest remainder): Σ received = Σ remitted exactly;
  3. posts, per province, a remittance (Dr pool:pension:P, Cr national:pension) and an allocation (Dr national,
     Cr pool), keyed `national-fund:{year}:{province}:remit|receive`, in the month of the settlement and for the
     year's December — so the year's entries leave the national account exactly where they found it;
  4. records each province's line in national_settlements, all in one transaction: a refusal leaves nothing.

Why the assessed bases and not the notice's formula (90% of the provincial average wage × the workers who should
be insured): the platform holds the real bases, assessed month by month, and not the statistical headcount of who
should be insured; the notice's 90% of the average wage is itself a proxy for the average base. A province with no
assessed base and no retiree in the year is left out (no line, no entry); a province with one of the two is settled,
its zero amount posting nothing (its key is then None). A year already settled is not settled again: asking again
returns its figures (`newly_settled` false). A pool that holds less than its net remittance is still charged: the
remittance is an obligation of the province (its budget covers a shortfall, which the platform does not model).

The assessments and pension awards are read, never written, through lightweight table clauses naming the columns
used: the ledger sits below the contexts that own them and does not import their models
(tests/integration/test_national_fund.py holds these names to the schema).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import and_, column, func, or_, select, table
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shebao.core import audit
from shebao.core.arithmetic import millionths
from shebao.core.clock import china_today, utc_naive
from shebao.core.errors import Conflict, InvalidInput, NotFound
from shebao.core.money import fen_to_yuan
from shebao.core.periods import Period
from shebao.core.regions import NATIONAL_REGION, is_province, province_of
from shebao.core.security import Principal, Role
from shebao.ledger import service as ledger
from shebao.ledger.chart import Account, pooling_fund
from shebao.ledger.models import JournalEntry, NationalSettlement
from shebao.ledger.rules import AccountKind, Line, ProvinceFundFigures, ProvinceFundShare, per_retiree_yuan, settle_national_fund
from shebao.ledger.schemas import NationalFundLineRead, NationalFundStatementRead
from shebao.policy.store import ParameterStore, default_store

Progress = Callable[[str, int, int], None]
INSURANCE = "pension"  # the pooling fund adjusted: pool:pension:<province> ↔ national:pension
FIRST_YEAR = 2018  # 国发〔2018〕18号: the central adjustment began on 2018-07-01
RATE, RETIREES = "national_fund.remittance_rate", "national_fund.retirees_counted"
NATIONAL_ACCOUNT = Account(AccountKind.NATIONAL_FUND, NATIONAL_REGION, insurance=INSURANCE)

# Read-only views of the tables of the contexts above the ledger: only the columns the settlement reads.
ASSESSMENTS = table("assessments", column("province"), column("period"), column("used_base_fen"),
                    column("pension_employer_fen"), column("pension_individual_fen"), column("superseded_by"))
PENSION_AWARDS = table("pension_awards", column("province"), column("first_period"), column("stop_period"),
                       column("status"))


def year_figures(*, session: Session, year: int) -> list[ProvinceFundFigures]:
    """Each province's figures for the year, in code order: the sum of the pension bases assessed for its months
    (current versions with a pension contribution), how many person-months, and its retirees on the rolls in
    December. Two GROUP BYs; provinces with neither are not listed."""
    first, last = f"{year}01", f"{year}12"
    a = ASSESSMENTS.c
    bases = session.execute(
        select(a.province, func.sum(a.used_base_fen), func.count())
        .where(a.period.between(first, last), a.superseded_by.is_(None),
               a.pension_employer_fen + a.pension_individual_fen > 0)
        .group_by(a.province)).all()
    p = PENSION_AWARDS.c
    on_rolls = and_(p.first_period <= last,
                    or_(p.stop_period > last, and_(p.stop_period.is_(None), p.status != "stopped")))
    retirees = dict(session.execute(select(p.province, func.count()).where(on_rolls).group_by(p.province)).all())
    figures = {province: ProvinceFundFigures(province, int(base), int(retirees.get(province, 0)), int(count))
               for province, base, count in bases}
    for province, count in retirees.items():
        figures.setdefault(province, ProvinceFundFigures(province, 0, int(count)))
    return [figures[province] for province in sorted(figures)]


def settle(*, session: Session, principal: Principal, year: int, now: datetime, store: ParameterStore | None = None,
           progress: Progress | None = None) -> NationalFundStatementRead:
    """Settles a year that is over, in the caller's transaction; a year already settled is returned as it was."""
    principal.require_role(Role.ADMIN)
    rate = _rate(year, now, store)
    if _settled(session, year):
        return statement(session=session, principal=principal, year=year, store=store)
    figures = year_figures(session=session, year=year)
    if not any(f.base_fen for f in figures):
        raise Conflict("national_fund.no_data", f"{year} 年没有任何省份的养老保险缴费核定，无可上解，无从清算",
                       f"no province has pension assessments in {year}: nothing is remitted, there is nothing to settle",
                       year=year)
    if not any(f.retirees for f in figures):
        raise Conflict("national_fund.no_retirees", f"{year} 年全国没有在册的离退休人员，上解资金无从拨付",
                       f"no retirees were on any province's rolls in {year}: the pot cannot be paid out", year=year)
    shares = settle_national_fund(figures, millionths(rate))
    period = str(Period.of(china_today(now)))
    progress = progress or (lambda _stage, _done, _total: None)
    try:
        national = ledger.account_id(session=session, account=NATIONAL_ACCOUNT, now=now)
        for done, share in enumerate(shares, start=1):
            _post_share(session, share, year, str(rate), period, national, principal.actor, now)
            progress("national fund", done, len(shares))
    except IntegrityError:  # another settlement of the same year committed first
        raise Conflict("national_fund.concurrent", f"{year} 年度清算正由另一进程同时执行，请稍后查询结果",
                       f"the {year} settlement is being run by another process at the same time; read its statement",
                       year=year) from None
    audit.append(session, actor=principal.actor, action="national_fund.settled", subject=f"national-fund:{year}",
                 now=now, year=year, rate=str(rate), provinces=len(shares), pot_fen=sum(s.remitted_fen for s in shares),
                 retirees=sum(s.retirees for s in shares))
    return statement(session=session, principal=principal, year=year, store=store, newly_settled=True)


def _rate(year: int, now: datetime, store: ParameterStore | None) -> Decimal:
    """The year's remittance rate, for a year that is over and under the national adjustment."""
    if isinstance(year, bool) or not isinstance(year, int) or not FIRST_YEAR <= year < china_today(now).year:
        raise InvalidInput("national_fund.year", f"只能清算 {FIRST_YEAR} 年起已经结束的年度（{year} 年不是）",
                           f"only a year from {FIRST_YEAR} on that is over can be settled, not {year}", year=year)
    return Decimal((store or default_store()).at(NATIONAL_REGION, date(year, 12, 31)).value(RATE))


def _settled(session: Session, year: int) -> bool:
    return session.scalar(select(NationalSettlement.id).where(
        NationalSettlement.year == year, NationalSettlement.insurance == INSURANCE).limit(1)) is not None


def _post_share(session: Session, share: ProvinceFundShare, year: int, rate: str, period: str, national: int,
                actor: str, now: datetime) -> None:
    """The province's remittance and allocation entries (none for a zero amount) and its line."""
    pool = ledger.account_id(session=session, account=pooling_fund(INSURANCE, province=share.province), now=now)
    keys = {}
    for step, amount, memo in (("remit", share.remitted_fen, "上解全国统筹调剂 remitted to the national adjustment"),
                               ("receive", share.received_fen, "全国统筹调剂拨付 received from the national adjustment")):
        if amount == 0:
            keys[step] = None
            continue
        keys[step] = f"national-fund:{year}:{share.province}:{step}"
        sign = 1 if step == "remit" else -1
        ledger.post_entry(session=session, key=keys[step], province=share.province, period=period,
                          kind="remittance" if step == "remit" else "allocation", memo=f"{year} {memo}",
                          lines=[Line(pool, sign * amount), Line(national, -sign * amount)], actor=actor, now=now,
                          for_period=f"{year}12")
    session.add(NationalSettlement(
        year=year, province=share.province, insurance=INSURANCE, base_fen=share.base_fen,
        assessments=share.assessments, rate=rate, remitted_fen=share.remitted_fen, retirees=share.retirees,
        received_fen=share.received_fen, net_fen=share.net_fen, remit_key=keys["remit"],
        receive_key=keys["receive"], period=period, settled_by=actor, settled_at=utc_naive(now)))
    session.flush()


# --- Statements -----------------------------------------------------------------------------------------------


def statement(*, session: Session, principal: Principal, year: int, province: str | None = None,
              store: ParameterStore | None = None, newly_settled: bool = False) -> NationalFundStatementRead:
    """A settled year's statement: the rule, the national totals and check, and the provinces' lines — all of them
    for administrators and auditors, their own province's for staff (another province named: refused)."""
    principal.require_role(Role.ADMIN, Role.AUDITOR, Role.STAFF)
    if province is not None:
        if not is_province(province):
            raise InvalidInput("national_fund.province", f"「{province}」不是省级区划代码",
                               f"{province} is not a province code", province=province)
        if not _sees(principal, province):
            principal.require_region(province)  # the refusal of a region outside one's scope
    rows = list(session.scalars(select(NationalSettlement).where(
        NationalSettlement.year == year, NationalSettlement.insurance == INSURANCE)
        .order_by(NationalSettlement.province)))
    if not rows:
        raise NotFound("national_fund.not_settled", f"{year} 年度全国统筹调剂尚未清算",
                       f"the national adjustment of {year} has not been settled", year=year)
    params = (store or default_store()).at(NATIONAL_REGION, date(year, 12, 31))
    rate, retirees_rule = params.explain(RATE), params.explain(RETIREES)
    pot, received, retirees = (sum(getattr(r, name) for r in rows) for name in ("remitted_fen", "received_fen", "retirees"))
    movement, balance = _national_check(session, rows)
    per_retiree = per_retiree_yuan(pot, retirees)
    wanted = [province] if province else sorted({r.province for r in rows if _sees(principal, r.province)}
                                                  | ({province_of(principal.region_code or "")} if principal.is_staff else set()))
    by_province = {r.province: r for r in rows}
    lines = [_line(by_province.get(code), code, rows[0].rate, pot, retirees, per_retiree) for code in wanted
             if is_province(code)]
    return NationalFundStatementRead(
        year=year, insurance=INSURANCE, rate=rows[0].rate, rule=rate.description, source=rate.source,
        retirees_counted=str(retirees_rule.value), retirees_source=retirees_rule.source, provinces=len(rows),
        base_fen=sum(r.base_fen for r in rows), remitted_fen=pot, received_fen=received, retirees=retirees,
        per_retiree_yuan=per_retiree, national_movement_fen=movement, national_balance_fen=balance,
        balanced=movement == 0 and received == pot, period=rows[0].period, settled_at=rows[0].settled_at,
        settled_by=rows[0].settled_by, newly_settled=newly_settled, lines=lines)


def _sees(principal: Principal, province: str) -> bool:
    """Administrators and auditors see every province; staff the province they serve (their region's province,
    or every province for national staff)."""
    return principal.can_see_region(province) or (
        principal.is_staff and province == province_of(principal.region_code or ""))


def _national_check(session: Session, rows: list[NationalSettlement]) -> tuple[int, int]:
    """What the year's entries moved on the national account (0 by construction) and its balance over all time."""
    national = ledger.find_account(session=session, account=NATIONAL_ACCOUNT)
    if national is None:
        return 0, 0
    keys = [key for r in rows for key in (r.remit_key, r.receive_key) if key]
    entries = select(JournalEntry.id).where(JournalEntry.idempotency_key.in_(keys))
    return (ledger.movement(session=session, account_id=national, entries=entries),
            ledger.balance(session=session, account_id=national))


def _line(row: NationalSettlement | None, province: str, rate: str, pot: int, retirees: int,
          per_retiree: str) -> NationalFundLineRead:
    if row is None:
        return NationalFundLineRead(
            province=province, in_settlement=False, base_fen=0, assessments=0, rate=rate, remitted_fen=0, retirees=0,
            received_fen=0, net_fen=0, remitted_yuan="0.00", received_yuan="0.00", net_yuan="0.00", remit_key=None,
            receive_key=None, how=f"{province} had no assessed pension base and no retirees: not in the settlement",
            how_zh=f"{province} 当年既无养老保险缴费核定也无离退休人员，未参加清算")
    how = (f"remitted {fen_to_yuan(row.base_fen)} yuan of bases ({row.assessments:,} person-months) × {rate} = "
           f"{fen_to_yuan(row.remitted_fen)} yuan; received {row.retirees:,} of the country's {retirees:,} retirees' "
           f"share of the {fen_to_yuan(pot)} yuan pot ({per_retiree} yuan each, to the fen by largest remainder) = "
           f"{fen_to_yuan(row.received_fen)} yuan; net {fen_to_yuan(row.net_fen)} yuan")
    how_zh = (f"上解：缴费基数合计 {fen_to_yuan(row.base_fen)} 元（{row.assessments:,} 人月）× 上解比例 {rate} = "
              f"{fen_to_yuan(row.remitted_fen)} 元；拨付：全国调剂资金 {fen_to_yuan(pot)} 元按离退休人数分配，本省 "
              f"{row.retirees:,} 人 / 全国 {retirees:,} 人（人均 {per_retiree} 元，按最大余额法分到分）= "
              f"{fen_to_yuan(row.received_fen)} 元；净额 {fen_to_yuan(row.net_fen)} 元")
    return NationalFundLineRead(
        province=province, in_settlement=True, base_fen=row.base_fen, assessments=row.assessments, rate=rate,
        remitted_fen=row.remitted_fen, retirees=row.retirees, received_fen=row.received_fen, net_fen=row.net_fen,
        remitted_yuan=fen_to_yuan(row.remitted_fen), received_yuan=fen_to_yuan(row.received_fen),
        net_yuan=fen_to_yuan(row.net_fen), remit_key=row.remit_key, receive_key=row.receive_key, how=how, how_zh=how_zh)
