"""Risk cases as the staff of a region see and work them: list, show, assign, note, file evidence, conclude.

A case is seen and worked only by staff whose region holds the case's region as stored (administrators and auditors:
the whole country; auditors only read); outside it the answer is one "not found", whether the case exists or not.
Once assigned, only the assignee (or an administrator) files evidence and concludes it. No one works a case about
themselves: the case's person is the clerk's own person, or the staff member a staff rule concerns is the clerk —
nor is a case assigned to such a clerk. Each action is one transaction and is audited; confirming an overpayment
opens its recovery (risk/recovery.py) in the same transaction.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, select
from sqlalchemy.orm import Session

from shebao.accounts.models import User
from shebao.comparison.cases import check_region
from shebao.core import audit
from shebao.core.clock import china_today, utc_naive
from shebao.core.errors import Forbidden, InvalidInput, NotFound, given_zh
from shebao.core.regions import region_prefix, region_within
from shebao.core.security import Principal, Role
from shebao.policy.store import ParameterStore, default_store
from shebao.risk import case_rules, recovery, rules
from shebao.risk.models import RiskCase, RiskCaseEvent, RiskEvidence

MAX_CASES = 1000


def not_found() -> NotFound:
    return NotFound("scope.not_found", "未找到，或不在您的管辖范围内", "not found, or outside your region")


def _refuse_outside(principal: Principal, region: str) -> None:
    if not principal.can_see_region(region):
        raise not_found()


def list_cases(*, session: Session, principal: Principal, region: str, status: str | None = None,
               rule: str | None = None, severity: str | None = None, limit: int = 500) -> list[dict]:
    """The cases of a region (its own and every region within it), those still being worked first, oldest first."""
    region = check_region(region)
    _refuse_outside(principal, region)
    if status is not None and status not in case_rules.STATUSES:
        raise InvalidInput("risk.status", "状态应为待分派、已分派、调查中、已查实或已排除",
                           "the status is open, assigned, investigating, confirmed or cleared",
                           allowed=list(case_rules.STATUSES))
    if rule is not None and rule not in rules.RULES:
        raise InvalidInput("risk.rule", "没有这条风险规则", "no such risk rule", allowed=list(rules.RULES))
    if severity is not None and severity not in {s.value for s in rules.Severity}:
        raise InvalidInput("risk.severity", "风险级别应为低、中、高或严重", "the severity is low, medium, high or critical",
                           allowed=[s.value for s in rules.SEVERITY_ORDER])
    if not 1 <= limit <= MAX_CASES:
        raise InvalidInput("risk.limit", f"条数应为 1 至 {MAX_CASES}", f"the limit is 1 to {MAX_CASES}")
    query = select(RiskCase).where(RiskCase.region_code.startswith(region_prefix(region), autoescape=True))
    for column, value in ((RiskCase.status, status), (RiskCase.rule_id, rule), (RiskCase.severity, severity)):
        if value is not None:
            query = query.where(column == value)
    order = case((RiskCase.status.in_(case_rules.CONCLUDED), 1), else_=0)
    return [case_view(c) for c in session.scalars(query.order_by(order, RiskCase.id).limit(limit))]


def case_view(c: RiskCase) -> dict:
    rule = rules.RULES.get(c.rule_id)
    status_zh, status_en = case_rules.STATUS_NAMES.get(c.status, (c.status, c.status))
    return {"id": c.id, "rule_id": c.rule_id, "rule_name": rule.name_zh if rule else c.rule_id,
            "rule_name_en": rule.name_en if rule else c.rule_id, "finding_key": c.finding_key, "province": c.province,
            "region_code": c.region_code, "subject_kind": c.subject_kind, "person_id": c.person_id,
            "employer_id": c.employer_id, "staff_actor": c.staff_actor, "severity": c.severity,
            "amount_fen": c.amount_fen, "period_from": c.period_from, "period_to": c.period_to,
            "details": json.loads(c.details or "{}"), "status": c.status, "status_zh": status_zh,
            "status_en": status_en, "assigned_to": c.assigned_to, "conclusion_reason": c.conclusion_reason,
            "overpaid_fen": c.overpaid_fen, "allowed_actions": [a for a, s in case_rules.ACTIONS.items() if c.status in s],
            "opened_at": c.opened_at.isoformat(), "updated_at": c.updated_at.isoformat(), "concluded_by": c.concluded_by,
            "concluded_at": c.concluded_at.isoformat() if c.concluded_at else None}


def _case_in_scope(session: Session, principal: Principal, case_id: int, *, lock: bool = False) -> RiskCase:
    query = select(RiskCase).where(RiskCase.id == case_id)
    found = session.scalar(query.with_for_update() if lock else query)
    if found is None or not principal.can_see_region(found.region_code):
        raise not_found()
    return found


def show_case(*, session: Session, principal: Principal, case_id: int, now: datetime) -> dict:
    """One case with its history, the evidence filed (without the files' bytes) and its recovery, if any, with the
    payroll's offsets recorded up to now."""
    found = _case_in_scope(session, principal, case_id)
    events = session.scalars(select(RiskCaseEvent).where(RiskCaseEvent.case_id == case_id).order_by(RiskCaseEvent.id))
    evidence = session.scalars(select(RiskEvidence).where(RiskEvidence.case_id == case_id).order_by(RiskEvidence.id))
    return case_view(found) | {
        "events": [{"action": e.action, "note": e.note, "actor": e.actor, "at": e.at.isoformat(), "run_id": e.run_id}
                   for e in events],
        "evidence": [{"id": e.id, "file_name": e.file_name, "content_type": e.content_type, "size_bytes": e.size_bytes,
                      "sha256": e.sha256, "note": e.note, "actor": e.actor, "at": e.at.isoformat()} for e in evidence],
        "recovery": recovery.recovery_of_case(session=session, case_id=case_id, now=now)}


def refuse_own(principal: Principal, found: RiskCase, *, person_id: int | None = None,
               actors: tuple[str, ...] = ()) -> None:
    """No one works, or is given, a case about themselves (their own person, or their own staff record): the acting
    principal, or (with `actors`) the clerk it would be given to."""
    if not actors:
        person_id, actors = principal.person_id, (principal.actor, principal.username)
    case_rules.check_not_own(person_id=person_id, actors=actors, case_person_id=found.person_id,
                             case_staff_actor=found.staff_actor)


def _require_worker(principal: Principal, found: RiskCase) -> None:
    """Once assigned, a case is worked by its assignee; an administrator may step in."""
    if found.assigned_to and principal.role != Role.ADMIN and found.assigned_to != principal.actor:
        raise Forbidden("risk.not_assignee", f"该案件已分派给「{found.assigned_to}」，只有承办人可以办理",
                        f"the case is assigned to {found.assigned_to}; only they may work it", assigned_to=found.assigned_to)


def _event(session: Session, found: RiskCase, action: str, note: str, principal: Principal, now: datetime) -> None:
    at = utc_naive(now)
    found.updated_at = at
    session.add(RiskCaseEvent(case_id=found.id, action=action, note=note, run_id=None, actor=principal.actor, at=at))
    session.flush()


def _assignee(session: Session, to: str, found: RiskCase) -> User:
    name = (to or "").strip()
    name = name.removeprefix(f"{Role.STAFF}:")
    user = session.scalar(select(User).where(User.username == name)) if 0 < len(name) <= 64 else None
    if (user is None or user.role != Role.STAFF or not user.active or not user.region_code
            or not region_within(found.region_code, user.region_code)):
        raise InvalidInput("risk.assignee", f"只能分派给管辖该案件地区（{found.region_code}）的在岗经办人员{_shown(to)}",
                           f"a case is assigned to an active staff member whose region holds the case's "
                           f"({found.region_code})", region_code=found.region_code)
    return user


def _shown(text: str | None) -> str:
    return given_zh((text or "")[:64])


def assign_case(*, session: Session, principal: Principal, case_id: int, to: str, now: datetime) -> dict:
    """Gives the case to a clerk of its region (not one it is about); an open case becomes assigned."""
    found = _case_in_scope(session, principal, case_id, lock=True)
    refuse_own(principal, found)
    case_rules.check_action("assign", found.status)
    user = _assignee(session, to, found)
    refuse_own(principal, found, person_id=user.person_id, actors=(f"{Role.STAFF}:{user.username}", user.username))
    before = found.assigned_to
    found.assigned_to = f"{Role.STAFF}:{user.username}"
    found.status = case_rules.status_after("assign", found.status)
    _event(session, found, "assigned", f"分派给 assigned to {found.assigned_to}", principal, now)
    audit.append(session, actor=principal.actor, action="risk.case_assigned", subject=f"risk_case:{found.id}", now=now,
                 to=found.assigned_to, before=before, rule_id=found.rule_id, region=found.region_code)
    return show_case(session=session, principal=principal, case_id=found.id, now=now)


def add_note(*, session: Session, principal: Principal, case_id: int, note: str, now: datetime) -> dict:
    """Records what was found; a note on an assigned case starts the investigation."""
    found = _case_in_scope(session, principal, case_id, lock=True)
    refuse_own(principal, found)
    case_rules.check_action("note", found.status)
    _require_worker(principal, found)
    text = case_rules.check_note(note)
    found.status = case_rules.status_after("note", found.status)
    _event(session, found, "note", text, principal, now)
    audit.append(session, actor=principal.actor, action="risk.case_note", subject=f"risk_case:{found.id}", now=now,
                 chars=len(text), region=found.region_code)
    return show_case(session=session, principal=principal, case_id=found.id, now=now)


def add_evidence(*, session: Session, principal: Principal, case_id: int, file_name: str | None, content: bytes,
                 now: datetime, note: str | None = None, store: ParameterStore | None = None) -> dict:
    """Files a letter, a scan or an extract on an assigned case: its type read from its bytes, its SHA-256 kept."""
    found = _case_in_scope(session, principal, case_id, lock=True)
    refuse_own(principal, found)
    case_rules.check_action("evidence", found.status)
    _require_worker(principal, found)
    limit = (store or default_store()).at(found.province, china_today(now)).value("risk.cases.evidence_max_bytes")
    name, content_type = case_rules.check_evidence(file_name=file_name, content=content, max_bytes=int(limit))
    note = case_rules.check_text(note, code="risk.evidence_note", what_zh="证据说明", what_en="a note on the evidence",
                                 limit=case_rules.MAX_REASON_CHARS) if note and note.strip() else ""
    digest = hashlib.sha256(content).hexdigest()
    found.status = case_rules.status_after("evidence", found.status)
    session.add(RiskEvidence(case_id=found.id, file_name=name, content_type=content_type, size_bytes=len(content),
                             sha256=digest, content=content, note=note, actor=principal.actor, at=utc_naive(now)))
    _event(session, found, "evidence", f"{name} ({content_type}, {len(content)} B, sha256 {digest[:16]}…)", principal, now)
    audit.append(session, actor=principal.actor, action="risk.case_evidence", subject=f"risk_case:{found.id}", now=now,
                 file_name=name, content_type=content_type, size_bytes=len(content), sha256=digest)
    return show_case(session=session, principal=principal, case_id=found.id, now=now)


@dataclass(frozen=True)
class EvidenceFile:
    file_name: str
    content_type: str
    sha256: str
    content: bytes


def evidence_file(*, session: Session, principal: Principal, case_id: int, evidence_id: int, now: datetime) -> EvidenceFile:
    """The bytes of one file filed on a case in scope. Every opening is audited: the files are about a person."""
    found = _case_in_scope(session, principal, case_id)
    evidence = session.scalar(select(RiskEvidence).where(RiskEvidence.id == evidence_id,
                                                         RiskEvidence.case_id == found.id))
    if evidence is None:
        raise NotFound("risk.evidence_unknown", "此案件没有这份证据材料", "this case has no such evidence")
    audit.append(session, actor=principal.actor, action="risk.evidence_opened", subject=f"risk_case:{found.id}",
                 now=now, evidence_id=evidence.id, sha256=evidence.sha256)
    return EvidenceFile(file_name=evidence.file_name, content_type=evidence.content_type, sha256=evidence.sha256,
                        content=evidence.content)


def conclude_case(*, session: Session, principal: Principal, case_id: int, confirmed: bool, now: datetime,
                  overpaid_fen: int | None = None, reason: str | None = None,
                  store: ParameterStore | None = None) -> dict:
    """Confirmed (with the overpaid amount; above 0 it opens a recovery) or cleared (with the reason)."""
    found = _case_in_scope(session, principal, case_id, lock=True)
    refuse_own(principal, found)
    case_rules.check_action("conclude", found.status)
    _require_worker(principal, found)
    conclusion = case_rules.check_conclusion(confirmed=confirmed, overpaid_fen=overpaid_fen, reason=reason,
                                             at_stake_fen=found.amount_fen)
    at = utc_naive(now)
    found.status, found.overpaid_fen, found.conclusion_reason = conclusion.status, conclusion.overpaid_fen, conclusion.reason
    found.concluded_by, found.concluded_at = principal.actor, at
    words = (f"查实，多领 {conclusion.overpaid_fen} 分 confirmed, overpaid {conclusion.overpaid_fen} fen"
             if confirmed else "排除 cleared")
    _event(session, found, "concluded", words + (f"：{conclusion.reason}" if conclusion.reason else ""), principal, now)
    opened = None
    if conclusion.overpaid_fen:
        opened = recovery.open_recovery(session=session, found=found, actor=principal.actor, now=now, store=store)
    audit.append(session, actor=principal.actor, action="risk.case_concluded", subject=f"risk_case:{found.id}", now=now,
                 status=conclusion.status, overpaid_fen=conclusion.overpaid_fen, reason=conclusion.reason,
                 rule_id=found.rule_id, region=found.region_code, recovery_id=opened)
    return show_case(session=session, principal=principal, case_id=found.id, now=now)
