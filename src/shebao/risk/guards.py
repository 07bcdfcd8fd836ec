"""The in-process risk rules (办理时拦截): each rule's checker at the check points of `core/guards.py`, the recorder of
blocked attempts (`risk_blocked_attempts`, audited), the payroll's held lines recorded set-based, and the listing.

Importing this module registers everything: `shebao.app`, `shebao.cli` and `services.authorization` import it, so a
running platform always asks the rules; a guarded use case run before it is refused (`GuardsNotInstalled`).

| rule | where | what blocks |
| --- | --- | --- |
| R21 | pension award | the person already has a pension award, in this province or another |
| R23 | transfer application | the person draws a pension (an award not stopped) |
| R15 | unemployment claim | the person draws a pension |
| R24 | award, transfer, unemployment claim, any staff write on a person's record (API) | the clerk's own person |
| R01 | payroll (held, the batch goes on) | a death is recorded |
| R22 | payroll (held, the batch goes on) | the card is frozen, its bank account frozen by a loss, or its holder blacklisted |
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Select, String, case, cast, func, insert, literal, select
from sqlalchemy.orm import Session

from shebao.benefits.models import PensionAward
from shebao.core import audit, guards
from shebao.core.clock import utc_naive
from shebao.core.errors import InvalidInput, given_zh
from shebao.core.guards import Attempt, Block, Point, Subject
from shebao.core.regions import NATIONAL_REGION, region_prefix
from shebao.core.security import Principal, Role
from shebao.registry.divisions import all_divisions
from shebao.registry.models import Person
from shebao.risk.models import RiskBlockedAttempt
from shebao.risk.rules import RULES

# The in-process (or both) rules not asked in process yet, and why: the test of the registry holds every other one
# to a check point.
NOT_IN_PROCESS_YET = {
    "R04_exclusive_schemes_together": "no residents' pension is awarded or paid in the data yet (only its contributions)",
    "R05_identity_changed_before_retirement": "screened after the fact from the identity-change history",
    "R06_retired_below_statutory_age": "the award itself refuses a date before the statutory one "
                                       "(retirement.before_statutory_date); screened after the fact for changed birth dates",
    "R07_special_work_without_years": "the special-work ground and its years are not recorded with the award",
}


AWARD_STATUS_ZH = {"paying": "发放中", "suspended": "暂停发放", "stopped": "已终止"}


def _name(rule_id: str) -> tuple[str, str]:
    rule = RULES[rule_id]
    return rule.name_zh, rule.name_en


def _block(rule_id: str, why_zh: str, why_en: str, **details: object) -> Block:
    """A refusal naming the rule (its id and names) and why."""
    zh, en = _name(rule_id)
    return Block(rule_id, f"风险规则 {rule_id}（{zh}）拦截：{why_zh}", f"risk rule {rule_id} ({en}) blocked this: {why_en}",
                 details)


def _drawing(session: Session, person_id: int | None) -> PensionAward | None:
    if person_id is None:
        return None
    return session.scalar(select(PensionAward).where(PensionAward.person_id == person_id, PensionAward.status != "stopped")
                          .order_by(PensionAward.id).limit(1))


# ---------------------------------------------------------------- the checkers


def _second_pension_award(session: Session, actor: Principal, subject: Subject) -> Block | None:
    """R21: one person, one pension — any award already made, here or in another province, blocks another."""
    existing = session.scalar(select(PensionAward).where(PensionAward.person_id == subject.person_id).limit(1))
    if existing is None:
        return None
    applied_in = subject.details.get("province")
    where_zh = "本省" if existing.province == applied_in else f" {existing.province} "
    status_zh = AWARD_STATUS_ZH.get(existing.status, "")
    return _block("R21_second_pension_award",
                  f"此人已在{where_zh}核定养老金（待遇 {existing.id}，{status_zh}），一人只能领取一份养老金",
                  f"this person already has a pension award in {existing.province} (award {existing.id}, "
                  f"{existing.status}): one person, one pension",
                  award_id=existing.id, receiving_in=existing.province, applied_in=applied_in)


def _while_drawing(rule_id: str, then_zh: str, then_en: str) -> guards.Checker:
    """A checker blocking whoever draws a pension (an award not stopped), saying what that rules out."""
    def check(session: Session, actor: Principal, subject: Subject) -> Block | None:
        award = _drawing(session, subject.person_id)
        if award is None:
            return None
        return _block(rule_id, f"此人已在 {award.province} 按月领取养老金（待遇 {award.id}），{then_zh}",
                      f"the person draws a pension in {award.province} (award {award.id}): {then_en}",
                      award_id=award.id, province=award.province)
    return check


# R23: someone drawing a pension no longer moves their pension relationship.
_transfer_while_drawing = _while_drawing("R23_transfer_while_drawing", "不能再转移养老保险关系",
                                         "the relationship no longer moves")
# R15: drawing a basic pension ends unemployment benefit (社会保险法第五十一条), so none is claimed.
_unemployment_while_pension = _while_drawing("R15_unemployment_while_pension", "不能领取失业保险金",
                                             "a pensioner cannot draw unemployment benefit")


def _clerk_own_record(session: Session, actor: Principal, subject: Subject) -> Block | None:
    """R24: a clerk linked to their own person record never acts on it (another clerk does)."""
    if actor.role != Role.STAFF or actor.person_id is None or actor.person_id != subject.person_id:
        return None
    return _block("R24_clerk_own_record", "经办人员不能办理本人的业务，请由其他经办人员办理",
                  "a clerk may not act on their own record: another clerk must handle it", staff_person_id=actor.person_id)


# ---------------------------------------------------------------- recording


def _record_attempt(session: Session, attempt: Attempt) -> int:
    """Writes one blocked attempt and its audit record in the session given (the caller commits)."""
    subject = attempt.subject
    region = subject.region_code
    if region is None and subject.person_id is not None:
        person = session.get(Person, subject.person_id)
        region = person.residence_region_code if person is not None else None
    row = RiskBlockedAttempt(rule_id=attempt.block.rule_id, use_case=attempt.use_case[:60], actor=attempt.actor[:120],
                             region_code=region, person_id=subject.person_id, subject=subject.label[:120],
                             reason_zh=attempt.block.reason_zh[:500], reason_en=attempt.block.reason_en[:500],
                             details=json.dumps({"point": str(attempt.point), **subject.details, **attempt.block.details},
                                                ensure_ascii=False, sort_keys=True, default=str),
                             at=utc_naive(attempt.now))
    session.add(row)
    session.flush()
    audit.append(session, actor=attempt.actor, action="risk.blocked", subject=subject.label, now=attempt.now,
                 rule_id=attempt.block.rule_id, attempt=row.id, use_case=attempt.use_case, person=subject.person_id)
    return row.id


# A payroll line's hold reason → the rule that owns it, and why (in process: the line is held, the batch goes on).
HELD_BY_RULE = {
    "deceased": ("R01_paid_after_death", "领取人已登记死亡，该月待遇不发放", "a death is recorded: the month is not paid"),
    "card_frozen": ("R22_payment_to_frozen_card", "社会保障卡已挂失冻结，该月待遇暂停发放",
                    "the card is reported lost and frozen: the month is held"),
    "card_bank_frozen": ("R22_payment_to_frozen_card", "社会保障卡的金融账户因挂失仍被冻结，该月待遇暂停发放",
                         "the card's bank account is still frozen after a loss: the month is held"),
    "card_blacklisted": ("R22_payment_to_frozen_card", "持卡人已列入黑名单，社会保障卡金融功能停用，该月待遇暂停发放",
                         "the holder is blacklisted and the card's financial function is off: the month is held"),
}


def _record_held_lines(session: Session, lines: Select, actor: str, now: datetime) -> int:
    """The payroll's lines about to be held for a reason a rule owns, recorded set-based (one INSERT … SELECT) in the
    batch's transaction, with one audit record per rule and batch chunk."""
    held = lines.subquery()
    owned = held.c.hold_reason.in_(list(HELD_BY_RULE))

    def by_reason(text_of: Callable[[str, str, str], str]) -> case:
        return case(*((held.c.hold_reason == reason, literal(text_of(rid, zh, en)))
                      for reason, (rid, zh, en) in HELD_BY_RULE.items()))

    rule_id = by_reason(lambda rid, zh, en: rid)
    reason_zh = by_reason(lambda rid, zh, en: f"风险规则 {rid}（{_name(rid)[0]}）拦截：{zh}")
    reason_en = by_reason(lambda rid, zh, en: f"risk rule {rid} ({_name(rid)[1]}) held this: {en}")
    details = (literal('{"point": "payroll.hold", "hold_reason": "') + held.c.hold_reason + literal('", "period": "')
               + held.c.for_period + literal('", "amount_fen": ') + cast(held.c.amount_fen, String) + literal("}"))
    rows = select(rule_id.label("rule_id"), literal("benefits.payroll").label("use_case"),
                  literal(actor[:120]).label("actor"), held.c.region_code, held.c.person_id,
                  (literal("payroll_line:") + cast(held.c.line_id, String)).label("subject"),
                  reason_zh.label("reason_zh"), reason_en.label("reason_en"), details.label("details"),
                  literal(utc_naive(now)).label("at")).where(owned)
    counts = dict(session.execute(select(rule_id, func.count()).where(owned).group_by(rule_id)).all())
    if not counts:
        return 0
    session.execute(insert(RiskBlockedAttempt).from_select(
        ["rule_id", "use_case", "actor", "region_code", "person_id", "subject", "reason_zh", "reason_en", "details", "at"],
        rows))
    for rule_id, count in sorted(counts.items()):
        audit.append(session, actor=actor, action="risk.held", subject="payroll", now=now, rule_id=rule_id, lines=count)
    return sum(counts.values())


# ---------------------------------------------------------------- registration (on import)

guards.install_recorder(_record_attempt)
for _point in (Point.PENSION_AWARD, Point.TRANSFER_APPLY, Point.UNEMPLOYMENT_CLAIM, Point.STAFF_WRITE):
    guards.register(_point, "R24_clerk_own_record", _clerk_own_record)  # asked first: whose record it is
guards.register(Point.PENSION_AWARD, "R21_second_pension_award", _second_pension_award)
guards.register(Point.TRANSFER_APPLY, "R23_transfer_while_drawing", _transfer_while_drawing)
guards.register(Point.UNEMPLOYMENT_CLAIM, "R15_unemployment_while_pension", _unemployment_while_pension)
guards.register_held(tuple(dict.fromkeys(rid for rid, _, _ in HELD_BY_RULE.values())), _record_held_lines)


# ---------------------------------------------------------------- the listing


def blocked_attempts(*, session: Session, region: str, limit: int = 200) -> dict:
    """The attempts blocked in a region and below (the subject's region as stored), newest first, with counts per
    rule."""
    if not (isinstance(region, str) and region.isdigit() and len(region) in (6, 9)) \
            or (region != NATIONAL_REGION and region[:6] not in all_divisions()):
        raise InvalidInput("risk.region_invalid", f"区划代码应为已知的 6 位或 9 位行政区划代码{given_zh(region, 20)}",
                           f"a region code is a known 6- or 9-digit division code, not {str(region)[:20]!r}")
    prefix = region_prefix(region)
    within = RiskBlockedAttempt.region_code.like(f"{prefix}%") if prefix else literal(True)
    counts = dict(session.execute(select(RiskBlockedAttempt.rule_id, func.count()).where(within)
                                  .group_by(RiskBlockedAttempt.rule_id)).all())
    rows = session.scalars(select(RiskBlockedAttempt).where(within).order_by(RiskBlockedAttempt.at.desc(),
                                                                              RiskBlockedAttempt.id.desc()).limit(limit))
    return {"region": region, "total": sum(counts.values()), "by_rule": dict(sorted(counts.items())),
            "attempts": [_attempt_read(row) for row in rows]}


def _attempt_read(row: RiskBlockedAttempt) -> dict:
    zh, en = _name(row.rule_id) if row.rule_id in RULES else ("", "")
    return {"id": row.id, "rule_id": row.rule_id, "rule_name_zh": zh, "rule_name_en": en, "use_case": row.use_case,
            "actor": row.actor, "region_code": row.region_code, "person_id": row.person_id, "subject": row.subject,
            "reason": row.reason_zh, "reason_en": row.reason_en, "details": json.loads(row.details or "{}"),
            "at": row.at.isoformat()}


