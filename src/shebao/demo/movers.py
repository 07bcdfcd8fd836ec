"""People who moved between provinces, for the demo province: their archives in other provinces, and transfers
taken through the real use cases — one completed into the demo province, one waiting on the old province, one
overdue, a temporary account, one refused with its reason, and one whose place of benefit falls to rule 4.

Deterministic (fixed ID numbers, dates counted back from `now`) and added once: a second seeding finds the first
mover and adds nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session
from stdnum.cn import ric

from shebao.benefits.archive import bring_forward
from shebao.benefits.schemas import ArchiveYear
from shebao.core.clock import china_today
from shebao.core.periods import Period
from shebao.core.security import SYSTEM, FieldCipher
from shebao.registry import divisions
from shebao.registry import service as registry
from shebao.registry.models import Person, Region
from shebao.registry.schemas import PersonCreate
from shebao.transfers import service as transfers
from shebao.transfers.schemas import TransferApply, TransferStepTake

OTHERS = ("310000", "440000", "320000", "510000", "330000")  # where the movers worked before, the demo's own left out
STEPS = ("letter_sent", "checked", "funds_sent", "received", "completed")


@dataclass(frozen=True)
class Mover:
    name: str
    birth: date
    sequence: int  # odd: a man
    hukou_elsewhere: int | None  # index into the other provinces, or None: hukou in the demo province
    blocks: tuple[tuple[int | None, int, int, int], ...]  # (other province index or None: the demo's, first year, years, base)
    balance: int
    moves: int  # steps taken after the application (-1: no application)
    days_ago: int  # when it applied
    refused: str = ""


MOVERS = (
    Mover("周建国", date(1984, 4, 12), 11, None, ((None, 2003, 5, 420_000), (0, 2008, 12, 980_000)), 8_600_000, 5, 120),
    Mover("吴晓燕", date(1990, 9, 3), 22, None, ((1, 2012, 11, 760_000),), 4_300_000, 1, 8),
    Mover("郑海涛", date(1987, 1, 25), 33, None, ((2, 2009, 14, 690_000),), 5_900_000, 1, 95),
    Mover("王德明", date(1972, 11, 8), 45, 0, ((0, 1996, 27, 650_000),), 12_800_000, 5, 150),
    Mover("陈丽", date(1993, 6, 30), 56, None, ((3, 2015, 8, 540_000),), 1_900_000, 1, 30,
          "原参保地审核不通过：档案中的姓名与身份证件不一致，请核实后重新申请 (the old province's archive name does not match the ID; "
          "check and apply again)"),
    Mover("刘志强", date(1976, 2, 17), 67, None, ((None, 1998, 3, 380_000), (0, 2001, 4, 520_000), (1, 2005, 5, 610_000)),
          3_200_000, -1, 0),
)


def seed_movers(*, session: Session, cipher: FieldCipher, province: str, now: datetime) -> int:
    """Adds the movers to the demo province once; returns how many of them have their hukou elsewhere (migrants)."""
    others = [p for p in OTHERS if p != province]
    today = china_today(now)
    if session.scalar(select(Person.id).where(Person.id_number_hash == cipher.lookup_hash(
            _id_number(_county(province), MOVERS[0])))) is not None:
        return 0
    street = session.scalar(select(Region.code).where(Region.level == 4, Region.code.startswith(province[:2]))
                            .order_by(Region.code).limit(1))
    migrants = 0
    for mover in MOVERS:
        hukou = _county(province if mover.hukou_elsewhere is None else others[mover.hukou_elsewhere])
        migrants += mover.hukou_elsewhere is not None
        person = registry.register_person(session=session, cipher=cipher, principal=SYSTEM, now=now, command=PersonCreate(
            id_number=_id_number(hukou, mover), name=mover.name, hukou_region_code=hukou, residence_region_code=street))
        _archive(session, person.id, mover, province, others, now)
        if mover.moves >= 0:
            _move(session, cipher, person.id, mover, province, now, today)
    return migrants


def _county(province: str) -> str:
    return min(code for code, d in divisions.all_divisions().items()
               if d.level == 3 and code.startswith(province[:2]) and d.last_year is None)


def _id_number(county: str, mover: Mover) -> str:
    body = f"{county}{mover.birth:%Y%m%d}{mover.sequence:03d}"
    return body + ric.calc_check_digit(body + "0")


def _archive(session: Session, person_id: int, mover: Mover, province: str, others: list[str], now: datetime) -> None:
    """The mover's years, province by province; the personal-account balance where the latest block was (the
    province whose archive holds the account today)."""
    period = str(Period.of(china_today(now)))
    for index, (where, first, years, base) in enumerate(mover.blocks):
        code = province if where is None else others[where]
        rows = [ArchiveYear(person_id=person_id, province=code, year=first + k, kind="archive", months=12,
                            base_sum_fen=12 * (base + 15_000 * k), average_wage_fen=600_000 + 40_000 * (first + k - 1995))
                for k in range(years)]
        bring_forward(session=session, province=code, years=rows, balances={person_id: mover.balance} if index == len(mover.blocks) - 1 else {},
                      period=period, actor="system:demo", now=now)


def _move(session: Session, cipher: FieldCipher, person_id: int, mover: Mover, province: str, now: datetime,
          today: date) -> None:
    """The application `days_ago`, then its steps two days apart (a refusal at the old province's check)."""
    applied = now - timedelta(days=mover.days_ago)
    transfer = transfers.apply(session=session, principal=SYSTEM, cipher=cipher, now=applied, command=TransferApply(
        person_id=person_id, to_region=_county(province), starts_on=china_today(applied), channel="online"))
    steps = list(STEPS[:mover.moves]) + (["refused"] if mover.refused else [])
    for number, step in enumerate(steps, start=1):
        at = min(applied + timedelta(days=2 * number), now)
        transfers.take_step(session=session, principal=SYSTEM, transfer_id=transfer["id"], now=at, command=TransferStepTake(
            step=step, on=min(china_today(at), today), note=mover.refused if step == "refused" else ""))
