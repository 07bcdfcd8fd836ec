"""Enforces the permission table on every API request, before the endpoint runs.

The request's route is looked up in `services/permissions.py` (a route that is not declared is
refused), the caller's role is checked, and the subject the request names is loaded *as stored* and
judged by the caller's scope. Outside the scope, and for a subject that does not exist, the answer is
the same 404, so that no status or wording tells whether a stranger's record exists.

The endpoint's own service checks stay as a second line; this is the first, and the one that a new
endpoint cannot forget.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import TypeAdapter, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from shebao.contributions.rules import PAYER_KIND_NAMES
from shebao.core import guards
from shebao.core.errors import Forbidden, InvalidInput, not_in_scope
from shebao.core.guards import Point, Subject
from shebao.core.http import Runtime, principal, runtime
from shebao.core.ids import MAX_BIGINT, MAX_INT
from shebao.core.security import ROLE_NAMES, FieldCipher, Principal, Role
from shebao.registry import divisions
from shebao.risk import guards as _risk_guards  # noqa: F401 - registers the in-process rules the checks below ask
from shebao.services.permissions import Permission, Scope, SubjectKind, Where, permission_for

SUBJECT_NAMES = {
    SubjectKind.PERSON: ("人员", "person"), SubjectKind.CARD: ("社保卡", "card"),
    SubjectKind.CARD_NUMBER: ("社保卡", "card"), SubjectKind.EMPLOYER: ("单位", "employer"),
    SubjectKind.PARTICIPATION: ("参保记录", "participation"), SubjectKind.PAYER: ("缴费主体", "payer"),
    SubjectKind.BASE_PAYER: ("人员", "person"), SubjectKind.BLACKLIST_SUBJECT: ("人员或单位", "person or employer"),
    SubjectKind.BLACKLIST_ENTRY: ("黑名单记录", "blacklist entry"), SubjectKind.CARD_BATCH: ("制卡批次", "card batch"),
    SubjectKind.DEATH_REVIEW: ("死亡信息核查", "death review"), SubjectKind.RECEIVER: ("人员", "person"),
    SubjectKind.BASE_DECLARATION: ("缴费基数申报", "base declaration"),
    SubjectKind.CORRECTED: ("人员或单位", "person or employer"), SubjectKind.CORRECTION: ("更正记录", "correction"),
    SubjectKind.REFUND: ("退费申请", "refund"),
    SubjectKind.BANK_BATCH: ("付款批次", "payment batch"), SubjectKind.PAYOUT_LINE: ("付款", "payment"),
    SubjectKind.TRANSFER: ("转移申请", "transfer"), SubjectKind.TRANSFER_APPLICANT: ("人员", "person"),
    SubjectKind.COMPARISON_CASE: ("比对核查任务", "comparison case"),
    SubjectKind.LINK_CANDIDATE: ("关联候选记录对", "link candidate"),
    SubjectKind.RISK_CASE: ("风险案件", "risk case"), SubjectKind.RISK_RECOVERY: ("多领待遇追回", "recovery"),
}


def role_not_allowed(who: Principal) -> Forbidden:
    zh, en = ROLE_NAMES[who.role]
    return Forbidden("auth.role_not_allowed", f"{zh}账号不能办理此项业务", f"this {en} account may not do this")


@dataclass(frozen=True)
class Owner:
    """Whose a stored subject is: the regions it belongs to, its person, employer and bank."""

    regions: tuple[str, ...] = ()
    person_id: int | None = None
    employer_id: int | None = None
    bank_code: str | None = None
    holder_present: bool = False  # the request carries the holder's own ID number


_bearer = HTTPBearer(auto_error=False)
_INT = TypeAdapter(int)


async def request_json(request: Request) -> Any:  # noqa: ANN401 - whatever JSON the caller sent
    """The JSON body, read once (Starlette caches it for the endpoint); None when there is none or it
    cannot be parsed — the endpoint's own validation then refuses it."""
    if request.method in ("GET", "HEAD") or "json" not in request.headers.get("content-type", ""):
        return None
    raw = await request.body()
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None


def authorize(request: Request, rt: Annotated[Runtime, Depends(runtime)],
              credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
              body: Annotated[Any, Depends(request_json)]) -> None:
    """The application-wide dependency: the declared permission of the matched route, enforced."""
    route_path = getattr(request.scope.get("route"), "path", "")
    if not route_path.startswith("/api/"):
        return  # pages, the API documentation and static files: see PAGES in the table
    method = "GET" if request.method == "HEAD" else request.method
    permission = permission_for(method, route_path)
    if permission is None:
        raise Forbidden("auth.undeclared", "此接口尚未声明权限，不能使用", "this endpoint has no declared permission")
    if permission.scope in (Scope.PUBLIC, Scope.SIGNED):
        return  # signed: the service authenticates the message itself
    who = principal(request, rt, credentials)
    if who.role not in permission.roles or (who.role == Role.AUDITOR and permission.writes):
        raise role_not_allowed(who)
    judge = _JUDGES[permission.scope_for(who.role)]
    judge(rt, who, permission, _Fields(request, body))


class _Fields:
    """The request's named values, wherever they are (path, query, JSON body)."""

    def __init__(self, request: Request, body: Any) -> None:  # noqa: ANN401
        self.route = f"{request.method} {getattr(request.scope.get('route'), 'path', '')}"[:60]
        self._sources = {"path": dict(request.path_params), "query": dict(request.query_params),
                         "body": body if isinstance(body, dict) else {}}

    def get(self, where: Where, name: str | None = None) -> Any:  # noqa: ANN401
        return self._sources[where.source].get(name or where.field)


def _nothing_to_judge(rt: Runtime, who: Principal, permission: Permission, fields: _Fields) -> None:
    """Own login (the caller's own account or card) and confined lists (the query keeps to the scope)."""


def _national(rt: Runtime, who: Principal, permission: Permission, fields: _Fields) -> None:
    if who.role not in (Role.ADMIN, Role.AUDITOR):
        raise role_not_allowed(who)


def _region(rt: Runtime, who: Principal, permission: Permission, fields: _Fields) -> None:
    """A region named in the request is itself the subject: a province's batch, a registration's place."""
    region = fields.get(permission.where)
    if not (isinstance(region, str) and region.isdigit() and len(region) in (6, 9)) \
            or region[:6] not in divisions.all_divisions():
        return  # missing, malformed or unknown: the service refuses it (422); regions are public, nothing leaks
    if who.role in (Role.ADMIN, Role.AUDITOR):
        return
    if not who.serves(region):
        raise Forbidden("scope.outside_region", "该区划不在您的管辖范围内", "that region is outside your jurisdiction",
                        region_code=region[:12])


def _subject(rt: Runtime, who: Principal, permission: Permission, fields: _Fields) -> None:
    kind = permission.subject
    with rt.database.unit_of_work() as uow:
        owner = _RESOLVERS[kind](uow.session, rt.cipher, permission.where, fields)
        if owner is None or not _serves(who, owner, permission):
            raise not_in_scope(*SUBJECT_NAMES[kind])
        if permission.writes and who.role == Role.STAFF and who.person_id is not None and owner.person_id is not None:
            # R24: a clerk's write on a record that is their own person's is blocked and the attempt recorded
            guards.check(Point.STAFF_WRITE, session=uow.session, actor=who, now=rt.clock.now(), use_case=fields.route,
                         subject=Subject("person", owner.person_id, person_id=owner.person_id,
                                         details={"route": fields.route, "subject_kind": str(kind)}))


def _serves(who: Principal, owner: Owner, permission: Permission) -> bool:
    """Whether the subject, as stored, lies within what this caller may handle."""
    if who.role in (Role.ADMIN, Role.AUDITOR):
        return True
    if who.role == Role.INSURED:
        return who.person_id is not None and owner.person_id == who.person_id
    if who.role == Role.EMPLOYER:
        return who.employer_id is not None and owner.employer_id == who.employer_id
    if who.role == Role.BANK:
        return who.bank_code is not None and owner.bank_code == who.bank_code
    return who.serves(*owner.regions) or (who.role == Role.STAFF and permission.holder_present_anywhere
                                          and owner.holder_present)


_JUDGES: dict[Scope, Callable[[Runtime, Principal, Permission, _Fields], None]] = {
    Scope.OWN_LOGIN: _nothing_to_judge, Scope.CONFINED: _nothing_to_judge, Scope.NATIONAL: _national,
    Scope.REGION: _region, Scope.SUBJECT: _subject,
}


# ---------------------------------------------------------------- reading subjects as stored


def _record_id(value: Any, field: str, largest: int = MAX_BIGINT) -> int | None:  # noqa: ANN401
    """The id as the endpoint's validation will read it (Pydantic's own coercion): refused here as the endpoint
    would refuse it (missing, not an integer, outside 1..2^63-1), never skipped; None for an id the
    subject's table cannot hold (an employer past 2^31), which names nothing."""
    problem = None
    if value is None:
        problem = ("缺少此项", "is required")
    else:
        try:
            number = _INT.validate_python(value)
        except ValidationError:
            problem = ("应为整数", "must be an integer")
        else:
            if not 1 <= number <= MAX_BIGINT:
                problem = (f"应在 1 至 {MAX_BIGINT} 之间", f"lies between 1 and {MAX_BIGINT}")
    if problem is not None:
        raise InvalidInput("request.invalid", f"请求内容有误：「{field}」{problem[0]}", f"invalid request: {field} {problem[1]}",
                           problems=[{"field": field, "problem": problem[1]}])
    return number if number <= largest else None


def _person_owner(session: Session, person_id: int | None) -> Owner | None:
    from shebao.registry.models import Person

    person = session.get(Person, person_id) if person_id else None
    if person is None:
        return None
    return Owner(regions=(person.residence_region_code, person.hukou_region_code), person_id=person.id)


def _employer_owner(session: Session, employer_id: int | None) -> Owner | None:
    from shebao.registry.models import Employer

    employer = session.get(Employer, employer_id) if employer_id else None
    return Owner(regions=(employer.region_code,), employer_id=employer.id) if employer is not None else None


def _person(session: Session, cipher: FieldCipher, where: Where, fields: _Fields) -> Owner | None:
    return _person_owner(session, _record_id(fields.get(where), where.field))


def _receiver(session: Session, cipher: FieldCipher, where: Where, fields: _Fields) -> Owner | None:
    from shebao.benefits.models import PensionAward, RetirementApplication

    person = _person(session, cipher, where, fields)
    if person is None:
        return None
    awarded_in = session.scalar(select(RetirementApplication.region_code).join(
        PensionAward, PensionAward.application_id == RetirementApplication.id).where(
        PensionAward.person_id == person.person_id))
    return Owner(regions=(*person.regions, awarded_in), person_id=person.person_id)


def _employer(session: Session, cipher: FieldCipher, where: Where, fields: _Fields) -> Owner | None:
    return _employer_owner(session, _record_id(fields.get(where), where.field, MAX_INT))


def _card_owner(session: Session, cipher: FieldCipher, card, fields: _Fields) -> Owner | None:  # noqa: ANN001
    from shebao.registry.models import Person

    if card is None:
        return None
    holder = session.get(Person, card.person_id)
    shown = fields.get(Where("body", "holder_id_number"))
    present = isinstance(shown, str) and cipher.lookup_hash(shown.strip().upper()[:18]) == holder.id_number_hash
    return Owner(regions=(holder.residence_region_code, holder.hukou_region_code), person_id=holder.id,
                 bank_code=card.bank_code, holder_present=present)


def _card(session: Session, cipher: FieldCipher, where: Where, fields: _Fields) -> Owner | None:
    from shebao.cards.models import Card

    card_id = _record_id(fields.get(where), where.field)
    return _card_owner(session, cipher, session.get(Card, card_id) if card_id else None, fields)


def _card_number(session: Session, cipher: FieldCipher, where: Where, fields: _Fields) -> Owner | None:
    from shebao.cards.models import Card

    number = fields.get(where)
    if not isinstance(number, str):
        _record_id(None, where.field)  # refuses: a card number is text
    card = session.scalar(select(Card).where(Card.card_number == number.strip().upper()[:32]))
    return _card_owner(session, cipher, card, fields)


def _participation(session: Session, cipher: FieldCipher, where: Where, fields: _Fields) -> Owner | None:
    from shebao.enrollment.models import Participation

    participation_id = _record_id(fields.get(where), where.field)
    found = session.get(Participation, participation_id) if participation_id else None
    if found is None:
        return None
    return Owner(regions=(found.region_code,), person_id=found.person_id, employer_id=found.employer_id)


def _payer(session: Session, cipher: FieldCipher, where: Where, fields: _Fields) -> Owner | None:
    """An employer, or a flexible worker paying for themselves; named directly or by one of its bills."""
    from shebao.contributions.models import Bill

    bill_ref = fields.get(Where(where.source, "bill_id"))
    if bill_ref is not None:
        bill_id = _record_id(bill_ref, "bill_id")
        bill = session.get(Bill, bill_id) if bill_id else None
        if bill is None:
            return None
        kind, payer_id = bill.payer_kind, bill.payer_id
    else:
        kind = fields.get(Where(where.source, "payer_kind"))
        payer_id = _record_id(fields.get(where), where.field)
    if kind == "employer":
        return _employer_owner(session, payer_id if payer_id and payer_id <= MAX_INT else None)
    if kind == "flexible":
        return _person_owner(session, payer_id)
    allowed = "或".join(f"「{kind}」（{zh}）" for kind, (zh, _) in PAYER_KIND_NAMES.items())
    raise InvalidInput("request.invalid", f"请求内容有误：「payer_kind」应为{allowed}",
                       "invalid request: payer_kind is employer or flexible")


def _base_payer(session: Session, cipher: FieldCipher, where: Where, fields: _Fields) -> Owner | None:
    """A base is declared by whoever pays for the person's current pension participation."""
    from shebao.enrollment.models import Participation

    person = _person(session, cipher, where, fields)
    if person is None:
        return None
    current = session.scalar(select(Participation).where(
        Participation.person_id == person.person_id, Participation.scheme == "employee_pension",
        Participation.status != "ended").order_by(Participation.start_date.desc()).limit(1))
    if current is None:
        return Owner(regions=person.regions)  # staff of the person's region learn that nothing is open
    flexible = current.mode != "employer"
    return Owner(regions=(current.region_code, *person.regions), employer_id=current.employer_id,
                 person_id=person.person_id if flexible else None)


def _blacklist_subject(session: Session, cipher: FieldCipher, where: Where, fields: _Fields) -> Owner | None:
    kind = fields.get(Where(where.source, "subject_kind"))
    if kind == "person":
        return _person(session, cipher, where, fields)
    if kind == "employer":
        return _employer(session, cipher, where, fields)
    person_zh, employer_zh = SUBJECT_NAMES[SubjectKind.PERSON][0], SUBJECT_NAMES[SubjectKind.EMPLOYER][0]
    raise InvalidInput("request.invalid", f"请求内容有误：「subject_kind」应为「person」（{person_zh}）或「employer」（{employer_zh}）",
                       "invalid request: subject_kind is person or employer")


def _blacklist_entry(session: Session, cipher: FieldCipher, where: Where, fields: _Fields) -> Owner | None:
    from shebao.cards.models import BlacklistEntry

    entry_id = _record_id(fields.get(where), where.field)
    entry = session.get(BlacklistEntry, entry_id) if entry_id else None
    if entry is None:
        return None
    if entry.subject_kind == "person":
        return _person_owner(session, entry.subject_id)
    return _employer_owner(session, entry.subject_id)


def _base_declaration(session: Session, cipher: FieldCipher, where: Where, fields: _Fields) -> Owner | None:
    """A declared base belongs to its payer (the employer, or the flexible worker) and to its person."""
    from shebao.contributions.models import BaseDeclaration

    declaration_id = _record_id(fields.get(where), where.field)
    declaration = session.get(BaseDeclaration, declaration_id) if declaration_id else None
    person = _person_owner(session, declaration.person_id) if declaration is not None else None
    if person is None:
        return None
    if declaration.payer_kind == "employer":
        employer = _employer_owner(session, declaration.payer_id)
        return Owner(regions=(*person.regions, *(employer.regions if employer else ())), employer_id=declaration.payer_id)
    return Owner(regions=person.regions, person_id=declaration.person_id)


def _card_batch(session: Session, cipher: FieldCipher, where: Where, fields: _Fields) -> Owner | None:
    from shebao.cards.models import ProductionBatch

    batch_id = _record_id(fields.get(where), where.field)
    batch = session.get(ProductionBatch, batch_id) if batch_id else None
    return Owner(regions=(batch.region_code,)) if batch is not None else None


def _death_review(session: Session, cipher: FieldCipher, where: Where, fields: _Fields) -> Owner | None:
    from shebao.registry.models import DeathReview

    review_id = _record_id(fields.get(where), where.field)
    review = session.get(DeathReview, review_id) if review_id else None
    return _person_owner(session, review.person_id) if review is not None else None


def _corrected(session: Session, cipher: FieldCipher, where: Where, fields: _Fields) -> Owner | None:
    """A correction asked for one person (person_id) or for an employer's people (employer_id)."""
    if fields.get(where) is not None:
        return _person(session, cipher, where, fields)
    return _employer(session, cipher, Where(where.source, "employer_id"), fields)


def _correction(session: Session, cipher: FieldCipher, where: Where, fields: _Fields) -> Owner | None:
    """A correction belongs to the persons whose months it touched (the use case then asks for every one of them)."""
    from shebao.contributions.models import Assessment

    correction_id = _record_id(fields.get(where), where.field)
    if correction_id is None:
        return None
    touched = (Assessment.correction_id == correction_id) | (Assessment.superseded_by == correction_id)
    person_id = session.scalar(select(Assessment.person_id).where(touched).limit(1))
    return _person_owner(session, person_id)


def _refund(session: Session, cipher: FieldCipher, where: Where, fields: _Fields) -> Owner | None:
    from shebao.contributions.models import Refund

    refund_id = _record_id(fields.get(where), where.field)
    refund = session.get(Refund, refund_id) if refund_id else None
    if refund is None:
        return None
    if refund.payer_kind == "employer":
        return _employer_owner(session, refund.payer_id)
    return _person_owner(session, refund.payer_id)


def _bank_batch(session: Session, cipher: FieldCipher, where: Where, fields: _Fields) -> Owner | None:
    """A batch is its province's; its bank's too, once released to it (a bank never sees one being prepared)."""
    from shebao.payouts.models import PayoutBatch
    from shebao.payouts.rules import BatchState

    batch_id = _record_id(fields.get(where), where.field)
    batch = session.get(PayoutBatch, batch_id) if batch_id else None
    if batch is None:
        return None
    return Owner(regions=(batch.province,),
                 bank_code=batch.bank_code if batch.status == BatchState.RELEASED.value else None)


def _payout_line(session: Session, cipher: FieldCipher, where: Where, fields: _Fields) -> Owner | None:
    """A payment is its receiver's region's (where it was paid to: the receiver's region when it was sent)."""
    from shebao.payouts.models import PayoutLine

    line_id = _record_id(fields.get(where), where.field)
    line = session.get(PayoutLine, line_id) if line_id else None
    return Owner(regions=(line.region_code,), person_id=line.person_id) if line is not None else None


def _transfer(session: Session, cipher: FieldCipher, where: Where, fields: _Fields) -> Owner | None:
    from shebao.registry.models import Person
    from shebao.transfers.models import Transfer

    transfer_id = _record_id(fields.get(where), where.field)
    transfer = session.get(Transfer, transfer_id) if transfer_id else None
    if transfer is None:
        return None
    person = session.get(Person, transfer.person_id)
    return Owner(regions=(transfer.to_region, transfer.from_province, person.residence_region_code,
                          person.hukou_region_code), person_id=transfer.person_id)


def _comparison_case(session: Session, cipher: FieldCipher, where: Where, fields: _Fields) -> Owner | None:
    """A comparison case: worked by the staff of the region it was listed in."""
    from shebao.comparison.models import CompareCase

    case_id = _record_id(fields.get(where), where.field)
    found = session.get(CompareCase, case_id) if case_id else None
    return None if found is None else Owner(regions=(found.region_code,), person_id=None)


def _transfer_applicant(session: Session, cipher: FieldCipher, where: Where, fields: _Fields) -> Owner | None:
    """The applicant as stored; present at a counter when the body carries their own ID number."""
    from shebao.registry.models import Person

    owner = _person(session, cipher, where, fields)
    if owner is None:
        return None
    shown = fields.get(Where("body", "holder_id_number"))
    present = isinstance(shown, str) and cipher.lookup_hash(shown.strip().upper()[:18]) == \
        session.get(Person, owner.person_id).id_number_hash
    return Owner(regions=owner.regions, person_id=owner.person_id, holder_present=present)


def _link_candidate(session: Session, cipher: FieldCipher, where: Where, fields: _Fields) -> Owner | None:
    """A pair that may be one person belongs to the regions of its persons as stored (either side)."""
    from shebao.comparison.models import LinkCandidate
    from shebao.registry.models import Person

    candidate_id = _record_id(fields.get(where), where.field)
    candidate = session.get(LinkCandidate, candidate_id) if candidate_id else None
    if candidate is None:
        return None
    ids = [candidate.person_id] + ([candidate.other_id] if candidate.other_kind == "person" else [])
    persons = [p for p in (session.get(Person, i) for i in ids) if p is not None]
    return Owner(regions=tuple(code for p in persons for code in (p.residence_region_code, p.hukou_region_code)))


def _risk_case(session: Session, cipher: FieldCipher, where: Where, fields: _Fields) -> Owner | None:
    """A risk case: worked by the staff of the region stored on it."""
    from shebao.risk.models import RiskCase

    case_id = _record_id(fields.get(where), where.field)
    found = session.get(RiskCase, case_id) if case_id else None
    return None if found is None else Owner(regions=(found.region_code,), person_id=None)


def _risk_recovery(session: Session, cipher: FieldCipher, where: Where, fields: _Fields) -> Owner | None:
    """A recovery of an overpayment: the region of its case, stored on it."""
    from shebao.risk.models import RiskRecovery

    recovery_id = _record_id(fields.get(where), where.field)
    found = session.get(RiskRecovery, recovery_id) if recovery_id else None
    return None if found is None else Owner(regions=(found.region_code,), person_id=None)


_RESOLVERS: dict[SubjectKind, Callable[[Session, FieldCipher, Where, _Fields], Owner | None]] = {
    SubjectKind.PERSON: _person, SubjectKind.CARD: _card, SubjectKind.CARD_NUMBER: _card_number,
    SubjectKind.EMPLOYER: _employer, SubjectKind.PARTICIPATION: _participation, SubjectKind.PAYER: _payer,
    SubjectKind.BASE_PAYER: _base_payer, SubjectKind.BLACKLIST_SUBJECT: _blacklist_subject,
    SubjectKind.BLACKLIST_ENTRY: _blacklist_entry, SubjectKind.CARD_BATCH: _card_batch,
    SubjectKind.DEATH_REVIEW: _death_review, SubjectKind.RECEIVER: _receiver,
    SubjectKind.BASE_DECLARATION: _base_declaration, SubjectKind.CORRECTED: _corrected,
    SubjectKind.CORRECTION: _correction, SubjectKind.REFUND: _refund, SubjectKind.BANK_BATCH: _bank_batch,
    SubjectKind.PAYOUT_LINE: _payout_line, SubjectKind.TRANSFER: _transfer,
    SubjectKind.TRANSFER_APPLICANT: _transfer_applicant, SubjectKind.COMPARISON_CASE: _comparison_case,
    SubjectKind.TRANSFER_APPLICANT: _transfer_applicant, SubjectKind.LINK_CANDIDATE: _link_candidate,
    SubjectKind.RISK_CASE: _risk_case, SubjectKind.RISK_RECOVERY: _risk_recovery,
}


# ---------------------------------------------------------------- the refusals, declared in OpenAPI

ERROR_SCHEMA = {
    "type": "object", "required": ["error"],
    "properties": {"error": {
        "type": "object", "required": ["code", "reason", "reason_en"],
        "properties": {"code": {"type": "string"}, "reason": {"type": "string", "description": "中文"},
                       "reason_en": {"type": "string"}, "details": {"type": "object"}}}},
}
REFUSALS = {
    "400": "请求内容无法解析 The body cannot be read (not UTF-8 JSON)",
    "401": "未登录或登录已失效 Not logged in, or the token is no longer valid",
    "403": "角色无权办理，或区划不在管辖范围 The role may not do this, or the region is outside your jurisdiction",
    "404": "不存在，或不在您可办理的范围内（两者回答相同） Not found, or outside what you may handle (one answer for both)",
    "409": "与现有记录冲突 Conflicts with what is recorded",
    "413": "请求内容过大 The body is too large",
    "422": "请求内容有误 The request is invalid",
    "423": "已锁定 Locked",
}


def declare_refusals(app) -> None:  # noqa: ANN001 - the FastAPI app
    """Every operation documents the refusals it can give, in the one error shape the API uses."""
    generate = app.openapi

    def openapi() -> dict:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = generate()
        schema.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
        reference = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
        for route, operations in schema.get("paths", {}).items():
            for method, operation in operations.items():
                permission = permission_for(method, route)
                responses = operation.setdefault("responses", {})
                for status, description in REFUSALS.items():
                    responses[status] = {"description": description, "content": reference}
                if permission is not None and permission.scope not in (Scope.PUBLIC, Scope.SIGNED):
                    operation["security"] = [{"HTTPBearer": []}]
        app.openapi_schema = schema
        return schema

    app.openapi = openapi
