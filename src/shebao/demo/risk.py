"""Risk control in the demo province: the whole province screened through every after-the-fact rule, and a few of the
cases worked by the province's manager (`demo.province`).

The receiver paid longest after a death that civil affairs reported (and not proved alive since): the death is recorded (every context reacts: the
pension stops and what was paid after it is recovered from the estate by the death record), and the case is confirmed
with nothing more to recover. The receiver paid longest during a prison sentence: confirmed, the pension paid inside
the sentence is a recovery owed by the person, a third of it repaid. A second sentence turns out to be served outside
prison (the pension continues by rule): cleared with that reason. Everything else stays open for the pages and
`shebao risk cases --region 110000`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from shebao.accounts.service import principal_named
from shebao.benefits import receivers
from shebao.benefits.schemas import DeathReport
from shebao.comparison.models import ExtDeath
from shebao.core.clock import china_today
from shebao.core.db import Database
from shebao.core.security import FieldCipher, Principal
from shebao.registry.models import Person
from shebao.risk import cases, recovery
from shebao.risk.models import RiskCase, RiskScreeningRun
from shebao.risk.screening import screen_province
from shebao.services.deaths import record_death

ACTOR = "system:demo"
MANAGER = "demo.province"


def prepare_demo_risk(*, database: Database, cipher: FieldCipher, province: str, now: datetime) -> int:
    """Screens the demo province and works three cases; returns the screening's id (0: screened before)."""
    with database.transaction() as session:
        if session.scalar(select(RiskScreeningRun.id).where(RiskScreeningRun.province == province).limit(1)):
            return 0
        run = screen_province(session=session, province=province, as_of=china_today(now), actor=ACTOR, now=now,
                              cipher=cipher)
    with database.transaction() as session:
        manager = principal_named(session=session, username=MANAGER)
        _confirm_a_death(session, manager, province, now)
        sentences = _open_cases(session, province, "R02_paid_during_sentence")
        if sentences:
            _confirm_and_recover(session, manager, sentences[0], now)
        if len(sentences) > 1:
            _take(session, manager, sentences[1], now, "核查判决书：判处有期徒刑宣告缓刑，依规继续发放基本养老金")
            cases.conclude_case(session=session, principal=manager, case_id=sentences[1].id, confirmed=False, now=now,
                                reason="缓刑期间照发养老金（劳社厅函〔2001〕44号），不属违规领取")
    return run["run_id"]


def _open_cases(session: Session, province: str, rule_id: str) -> list[RiskCase]:
    return list(session.scalars(select(RiskCase).where(RiskCase.province == province, RiskCase.status == "open",
                                                       RiskCase.rule_id == rule_id)
                                .order_by(RiskCase.amount_fen.desc(), RiskCase.id)))


def _take(session: Session, manager: Principal, found: RiskCase, now: datetime, note: str) -> None:
    cases.assign_case(session=session, principal=manager, case_id=found.id, to=MANAGER, now=now)
    cases.add_note(session=session, principal=manager, case_id=found.id, note=note, now=now)


def _confirm_a_death(session: Session, manager: Principal, province: str, now: datetime) -> None:
    """The first open R01 case whose reported death nothing contradicts: the death is recorded and the case
    confirmed. A receiver proved alive after the date reported stays open (the death would be held for review)."""
    for found in _open_cases(session, province, "R01_paid_after_death"):
        person = session.get(Person, found.person_id)
        if person.death_date is not None:
            continue  # recorded already: known from our own register, not only from civil affairs
        reported = session.execute(select(ExtDeath.death_date, ExtDeath.source).where(
            ExtDeath.id_hash == person.id_number_hash).order_by(ExtDeath.death_date)).first()
        proved_alive = receivers.latest_certification(session=session, person_id=person.id)
        if reported is None or (proved_alive is not None and proved_alive > reported.death_date):
            continue
        _take(session, manager, found, now, "民政殡葬信息与公安户籍注销一致，本人已死亡；登记死亡，停发养老金")
        record_death(session=session, principal=manager, now=now,
                     command=DeathReport(person_id=person.id, death_date=reported.death_date, source=reported.source))
        cases.conclude_case(session=session, principal=manager, case_id=found.id, confirmed=True, overpaid_fen=0,
                            now=now, reason="死亡后多发的养老金已由死亡登记立项，向遗产追回")
        return


def _confirm_and_recover(session: Session, manager: Principal, found: RiskCase, now: datetime) -> None:
    _take(session, manager, found, now, "监狱管理部门服刑人员名单核实：服刑期间仍发放养老金")
    concluded = cases.conclude_case(session=session, principal=manager, case_id=found.id, confirmed=True,
                                    overpaid_fen=found.amount_fen, now=now)
    owed = concluded.get("recovery") or recovery.recovery_of_case(session=session, case_id=found.id, now=now)
    if owed and owed["amount_fen"] >= 3:
        recovery.repay(session=session, principal=manager, recovery_id=owed["id"], amount_fen=owed["amount_fen"] // 3,
                       reference="本人首次退回（银行回单）", now=now)
