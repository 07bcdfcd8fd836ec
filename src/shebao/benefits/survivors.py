"""What a death offers the family: the funeral grant and the inheritable personal-account balance.

Offered when the death is recorded (services/deaths.py), each with its explanation, for a family member to
claim at the agency; claiming and paying them out is the agency's next step.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from shebao.benefits.models import SurvivorBenefit
from shebao.benefits.schemas import SurvivorBenefitRead
from shebao.core import audit
from shebao.core.clock import utc_naive
from shebao.core.regions import province_of
from shebao.core.security import Principal
from shebao.enrollment.models import Participation
from shebao.ledger import service as ledger
from shebao.policy.store import ParameterStore, default_store
from shebao.registry import service as registry
from shebao.registry.models import Person

KIND_NAMES = {"funeral_grant": ("丧葬补助金", "funeral grant"),
              "account_inheritance": ("个人账户余额继承", "inheritance of the personal-account balance")}


def offer_on_death(*, session: Session, person: Person, death_date: date, actor: str, now: datetime,
                   store: ParameterStore | None = None) -> list[SurvivorBenefitRead]:
    """Offers what the family of an insured person may claim; nothing for someone never insured."""
    insured = session.scalar(select(Participation.id).where(Participation.person_id == person.id).limit(1))
    balance = _personal_account_balance(session, person.id)
    if insured is None and not balance:
        return []
    province = province_of(person.hukou_region_code or person.residence_region_code)
    offers = [_funeral_grant(store or default_store(), province, death_date)]
    if balance > 0:
        offers.append(("account_inheritance", balance, [{
            "step": "个人账户余额 personal-account balance", "value_fen": balance,
            "how": "记账余额（分），按《社会保险法》第十四条可以继承 the balance in the ledger; inheritable under the "
                   "Social Insurance Law art. 14"}]))
    stamp = utc_naive(now)
    for kind, amount, steps in offers:
        session.add(SurvivorBenefit(person_id=person.id, kind=kind, province=province, amount_fen=amount,
                                    explanation=json.dumps(steps, ensure_ascii=False), status="offered",
                                    offered_at=stamp))
    session.flush()
    audit.append(session, actor=actor, action="survivor_benefits.offered", subject=f"person:{person.id}", now=now,
                 offers={kind: amount for kind, amount, _ in offers})
    return [_read(kind, amount, steps, "offered") for kind, amount, steps in offers]


def _funeral_grant(store: ParameterStore, province: str, death_date: date) -> tuple[str, int, list[dict]]:
    params = store.at(province, death_date)
    income = params.explain("wages.urban_disposable_income_fen_per_year")
    months = params.explain("survivor.funeral_grant_months_of_income")
    monthly = Decimal(income.value) / 12
    amount = int((monthly * months.value).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return "funeral_grant", amount, [
        {"step": "上一年度城镇居民人均可支配收入 urban disposable income per year", "value_fen": income.value,
         "source": income.source},
        {"step": "月数 months", "value": months.value, "source": months.source},
        {"step": "丧葬补助金 funeral grant", "value_fen": amount,
         "how": f"{income.value} ÷ 12 × {months.value}，四舍五入到分 half up to the fen"},
    ]


def _personal_account_balance(session: Session, person_id: int) -> int:
    """What is left in the person's personal account."""
    return ledger.personal_account_balance(session=session, person_id=person_id)


def survivor_benefits_of(*, session: Session, principal: Principal, person_id: int) -> list[SurvivorBenefitRead]:
    """The offers for a deceased person, for staff of the person's region (the family claims at the counter)."""
    registry.require_person_in_scope(principal, session.get(Person, person_id))
    rows = session.scalars(select(SurvivorBenefit).where(SurvivorBenefit.person_id == person_id)
                           .order_by(SurvivorBenefit.id)).all()
    return [_read(row.kind, row.amount_fen, json.loads(row.explanation), row.status) for row in rows]


def _read(kind: str, amount: int, steps: list[dict], status: str) -> SurvivorBenefitRead:
    zh, en = KIND_NAMES[kind]
    return SurvivorBenefitRead(kind=kind, name=zh, name_en=en, amount_fen=amount, status=status, steps=steps)
