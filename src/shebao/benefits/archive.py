"""The record from before the platform: yearly contribution rows and personal-account balances taken over
from a legacy archive. Rows are checked all together; a bad row rejects the whole file."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from shebao.benefits import rules
from shebao.benefits.models import ContributionYear
from shebao.benefits.schemas import ArchiveYear
from shebao.core import audit
from shebao.core.errors import Conflict, InvalidInput
from shebao.ledger import service as ledger
from shebao.ledger.rules import AccountKind, Line
from shebao.registry.models import Person


def monthly_index_sum(base_sum_fen: int, average_wage_fen: int) -> int:
    """The year's sum of monthly indexes in millionths (bases over the average wage, half up)."""
    return rules.index_millionths(base_sum_fen, average_wage_fen) if average_wage_fen else 0


def bring_forward(*, session: Session, province: str, years: list[ArchiveYear], balances: dict[int, int], period: str,
                  actor: str, now: datetime) -> dict:
    """Takes over archive years and opening personal-account balances; all or nothing."""
    persons = {y.person_id for y in years} | set(balances)
    known = set(session.scalars(select(Person.id).where(Person.id.in_(persons)))) if persons else set()
    rejected = [{"person_id": p, "reason": "没有此人员", "reason_en": "unknown person"} for p in sorted(persons - known)]
    rejected += [{"person_id": y.person_id, "year": y.year, "reason": "档案年度须有缴费基数合计和当年社会平均工资",
                  "reason_en": "an archive year needs a base sum and an average wage"}
                 for y in years if y.kind == "archive" and not (y.base_sum_fen and y.average_wage_fen)]
    rejected += [{"person_id": p, "reason": "个人账户余额应为正整数（分）", "reason_en": "a balance is a positive number of fen"}
                 for p, fen in balances.items() if fen <= 0]
    if rejected:
        raise InvalidInput("archive.rejected", f"{len(rejected)} 行有误，全部未导入", f"{len(rejected)} rows rejected; nothing imported",
                           rejected=rejected[:100])
    if years:
        session.execute(insert(ContributionYear), [
            y.model_dump() | {"index_sum_millionths": monthly_index_sum(y.base_sum_fen, y.average_wage_fen)
                              if y.kind == "archive" else 0} for y in years])
    if balances:
        _open_balances(session, province, balances, period, actor, now)
    audit.append(session, actor=actor, action="archive.brought_forward", subject=f"province:{province}", now=now,
                 years=len(years), balances=len(balances), total_fen=sum(balances.values()))
    return {"years": len(years), "balances": len(balances), "total_fen": sum(balances.values())}


def _digest(balances: dict[int, int]) -> str:
    return hashlib.sha256(",".join(f"{p}={f}" for p, f in sorted(balances.items())).encode()).hexdigest()[:32]


def _open_balances(session: Session, province: str, balances: dict[int, int], period: str, actor: str, now: datetime) -> None:
    existing = ledger.persons_with_personal_accounts(session=session, person_ids=list(balances))
    if existing:
        raise Conflict("archive.account_exists", "个人账户已存在，余额不能再从档案结转",
                       "personal accounts already exist; a balance is brought forward only once", persons=sorted(existing)[:20])
    opening = ledger.open_account(session=session, kind=AccountKind.BROUGHT_FORWARD, province=province, now=now)
    accounts = {person_id: ledger.open_account(session=session, kind=AccountKind.PERSONAL_ACCOUNT, province=province,
                                               person_id=person_id, now=now).id for person_id in balances}
    lines = [Line(opening.id, sum(balances.values()))] + [Line(accounts[p], -fen) for p, fen in balances.items()]
    ledger.post_entry(session=session, key=f"brought-forward:{province}:{_digest(balances)}",
                      province=province, period=period, kind="brought_forward", lines=lines, actor=actor, now=now,
                      memo=f"个人账户余额结转 personal-account balances brought forward ({len(balances)})")
