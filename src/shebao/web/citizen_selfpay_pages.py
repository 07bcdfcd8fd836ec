"""The citizen's own applications that pay or prove: enrolling as a flexible worker with a chosen base and the first
month paid, making up missed months with the amount shown before paying, and the yearly proof of life (a face-check
placeholder, or a staff home visit asked for) — and the staff queue of those visits.

No id travels in a citizen's address or form: every page is the login's own person, as the account stores it, and
the services judge it. Every form that pays or records carries a one-time token spent in the same transaction as the
work (a second submission does nothing), and every paying form carries the amount the page showed: the service
refuses to take a different one (contributions.self_pay).

The face check is a PLACEHOLDER: no biometric check runs here; the real one runs in the mobile app, which would send
its result id as the evidence. The button records what that result would: a certification with method online_face.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session

from shebao.benefits import receivers
from shebao.benefits import service as benefits
from shebao.benefits.schemas import CertificationCreate, CertificationMethod
from shebao.contributions import self_pay
from shebao.contributions import service as contributions
from shebao.contributions.schemas import BaseDeclare
from shebao.core.clock import china_today
from shebao.core.errors import DomainError, InvalidInput, NotFound
from shebao.core.http import Runtime, RuntimeDep
from shebao.core.money import fen_to_yuan_grouped, yuan_to_fen
from shebao.core.security import Principal, Role
from shebao.enrollment.schemas import ParticipationCreate
from shebao.services import employment
from shebao.web.kit import (
    Form40,
    Once,
    current_principal,
    insured_login,
    landing_for,
    message,
    page,
    page_router,
    reason_in,
    refused,
    spend_once,
)

router = page_router()
MONTH = re.compile(r"^\d{6}$")
FACE_EVIDENCE = "face-check placeholder (no biometric check ran) {token}"
VISIT_STAFF = (Role.STAFF, Role.ADMIN, Role.AUDITOR)


def _expected(text: str) -> int:
    if not text.isdigit() or len(text) > 15:
        raise InvalidInput("self_pay.expected", "页面已过期，请重新打开页面核对金额", "the page has expired; open it again")
    return int(text)


def _china_day(stamp: datetime | None) -> date | None:
    return None if stamp is None else china_today(stamp.replace(tzinfo=UTC) if stamp.tzinfo is None else stamp)


def _receipt(request: Request, title_key: str, paid: dict, back: str, extra: dict | None = None) -> HTMLResponse:
    return page(request, "citizen/selfpay_receipt.html", {"title_key": title_key, "paid": paid, "back": back,
                                                          "yuan": fen_to_yuan_grouped} | (extra or {}), status_code=201)


@router.get("/me/apply", response_class=HTMLResponse)
def my_applications(request: Request):
    who, away = insured_login(request)
    return away or page(request, "citizen/selfpay_index.html")


# ------------------------------------------------------------------ flexible-worker enrollment and paying what is owed


def _flexible_page(request: Request, rt: Runtime, who: Principal, *, errors: dict | None = None, base: str = "",
                   quote: dict | None = None, status_code: int = 200) -> HTMLResponse:
    now = rt.clock.now()
    with rt.database.transaction() as session:
        terms = self_pay.flexible_terms(session=session, principal=who, now=now)
        owed = self_pay.owed_today(session=session, principal=who, now=now)
    return page(request, "citizen/selfpay_flexible.html", {
        "terms": terms, "owed": owed, "errors": errors or {}, "base": base, "quote": quote,
        "yuan": fen_to_yuan_grouped, "today": china_today(now)}, status_code=status_code)


@router.get("/me/apply/flexible", response_class=HTMLResponse)
def flexible_page(request: Request, rt: RuntimeDep):
    who, away = insured_login(request)
    return away or _flexible_page(request, rt, who)


@router.post("/me/apply/flexible/review", response_class=HTMLResponse)
def flexible_review(request: Request, rt: RuntimeDep, base: Form40 = ""):
    """The chosen base checked and the month's amount shown; nothing is saved."""
    who, away = insured_login(request)
    if away:
        return away
    try:
        with rt.database.transaction() as session:
            quote = self_pay.flexible_month(session=session, principal=who, base_fen=yuan_to_fen(base.strip()),
                                            now=rt.clock.now())
    except DomainError as exc:
        return _flexible_page(request, rt, who, errors={"base": reason_in(request, exc)}, base=base.strip(),
                              status_code=exc.status_code)
    return _flexible_page(request, rt, who, base=base.strip(), quote=quote)


@router.post("/me/apply/flexible", response_class=HTMLResponse)
def flexible_enroll(request: Request, rt: RuntimeDep, base: Form40 = "", expected: Form40 = "", once: Once = ""):
    """Enrolled from today where the person lives, the base declared from this month and this month billed and paid
    — in one transaction: a refusal of any of them saves nothing."""
    who, away = insured_login(request)
    if away:
        return away
    now = rt.clock.now()
    today = china_today(now)
    try:
        with rt.database.transaction() as session:
            if not spend_once(session, who, once, now):  # spent only if all the rest is done (one transaction)
                return message(request, "selfpay_flexible_title", "already_done", 409, back="/me/apply/flexible")
            quote = self_pay.flexible_month(session=session, principal=who, base_fen=yuan_to_fen(base.strip()), now=now)
            if quote["employed"] or quote["flexible"]:
                raise InvalidInput("flexible.already_insured", "您目前已在参保（单位参保或灵活就业），不能重复登记",
                                   "you are already insured (through an employer or as a flexible worker)")
            if quote["month_fen"] != _expected(expected):
                raise InvalidInput("self_pay.amount_changed", "金额已变化，请重新核对", "the amount has changed; check it again")
            employment.enroll(session=session, principal=who, person_id=who.person_id, now=now, command=ParticipationCreate(
                mode="flexible", region_code=quote["region_code"], start_date=today))
            contributions.declare_base(session=session, principal=who, now=now, command=BaseDeclare(
                person_id=who.person_id, effective_period=quote["period"], declared_base_fen=quote["base_fen"]))
            paid = self_pay.pay_first_month(session=session, principal=who, key=f"web:{once}",
                                            expected_fen=quote["month_fen"], now=now)
    except DomainError as exc:
        return _flexible_page(request, rt, who, errors={"base": reason_in(request, exc)}, base=base.strip(),
                              status_code=exc.status_code)
    return _receipt(request, "selfpay_enrolled_title", paid | {"received_on": today}, "/me/apply/flexible")


@router.post("/me/apply/pay", response_class=HTMLResponse)
def pay_owed(request: Request, rt: RuntimeDep, expected: Form40 = "", once: Once = ""):
    """Everything owed today as a flexible worker, paid as the page showed it (with the late fees)."""
    who, away = insured_login(request)
    if away:
        return away
    now = rt.clock.now()
    try:
        with rt.database.transaction() as session:
            if not spend_once(session, who, once, now):
                return message(request, "selfpay_flexible_title", "already_done", 409, back="/me/apply/flexible")
            amount = _expected(expected)
            paid = self_pay.pay_owed(session=session, principal=who, key=f"web:{once}", expected_fen=amount, now=now)
    except DomainError as exc:
        return _flexible_page(request, rt, who, errors={"pay": reason_in(request, exc)}, status_code=exc.status_code)
    return _receipt(request, "selfpay_paid_title", paid | {"received_on": china_today(now)}, "/me/apply/flexible")


# ------------------------------------------------------------------ make-up of missed months


def _makeup_page(request: Request, rt: Runtime, who: Principal, *, errors: dict | None = None,
                 chosen: list[str] | None = None, review: dict | None = None, status_code: int = 200) -> HTMLResponse:
    now = rt.clock.now()
    with rt.database.transaction() as session:
        options = self_pay.makeup_options(session=session, principal=who, now=now)
        owed = self_pay.owed_today(session=session, principal=who, now=now)
    return page(request, "citizen/selfpay_makeup.html", {
        "options": options, "owed": owed, "errors": errors or {}, "review": review, "yuan": fen_to_yuan_grouped,
        "chosen": set(chosen) if chosen is not None else {m["period"] for m in options["months"]}},
        status_code=status_code)


def _periods(periods: list[str]) -> list[str]:
    chosen = sorted({p.strip() for p in periods if p.strip()})
    if not chosen:
        raise InvalidInput("makeup.none_chosen", "请至少选择一个补缴月份", "choose at least one month to make up")
    if len(chosen) > self_pay.MAX_MAKEUP_MONTHS or not all(MONTH.match(p) for p in chosen):
        raise InvalidInput("makeup.periods", "补缴月份应为六位数字的年月（如 202410）", "months are YYYYMM")
    return chosen


@router.get("/me/apply/makeup", response_class=HTMLResponse)
def makeup_page(request: Request, rt: RuntimeDep):
    who, away = insured_login(request)
    return away or _makeup_page(request, rt, who)


@router.post("/me/apply/makeup/review", response_class=HTMLResponse)
def makeup_review(request: Request, rt: RuntimeDep, periods: Annotated[list[str], Form()] = []):  # noqa: B006 - FastAPI
    """The chosen months with what each costs and the total to pay today (with anything else owed); nothing saved."""
    who, away = insured_login(request)
    if away:
        return away
    try:
        chosen = _periods(periods[:200])
        with rt.database.transaction() as session:
            options = self_pay.makeup_options(session=session, principal=who, now=rt.clock.now())
            owed = self_pay.owed_today(session=session, principal=who, now=rt.clock.now())
        months = [m for m in options["months"] if m["period"] in chosen]
        if len(months) != len(chosen):
            raise InvalidInput("makeup.not_allowed", "所选月份中有不能补缴的月份", "a chosen month cannot be made up")
    except DomainError as exc:
        return _makeup_page(request, rt, who, errors={"periods": reason_in(request, exc)}, chosen=list(periods[:200]),
                            status_code=exc.status_code)
    total = sum(m["amount_fen"] + m["late_fee_fen"] for m in months)
    review = {"months": months, "periods": chosen, "makeup_fen": total, "other_fen": owed["to_pay_fen"],
              "to_pay_fen": total + owed["to_pay_fen"]}
    return _makeup_page(request, rt, who, chosen=chosen, review=review)


@router.post("/me/apply/makeup", response_class=HTMLResponse)
def makeup_pay(request: Request, rt: RuntimeDep, periods: Annotated[list[str], Form()] = [],  # noqa: B006 - FastAPI
               expected: Form40 = "", once: Once = ""):
    """The chosen months billed and everything owed paid today, as the review showed it — or nothing at all."""
    who, away = insured_login(request)
    if away:
        return away
    now = rt.clock.now()
    try:
        chosen = _periods(periods[:200])
        with rt.database.transaction() as session:
            if not spend_once(session, who, once, now):
                return message(request, "selfpay_makeup_title", "already_done", 409, back="/me/apply/makeup")
            amount = _expected(expected)
            paid = self_pay.makeup_and_pay(session=session, principal=who, periods=chosen, key=f"web:{once}",
                                           expected_fen=amount, now=now)
    except DomainError as exc:
        return _makeup_page(request, rt, who, errors={"periods": reason_in(request, exc)}, chosen=list(periods[:200]),
                            status_code=exc.status_code)
    return _receipt(request, "selfpay_made_up_title", paid | {"received_on": china_today(now)}, "/me/apply/makeup")


# ------------------------------------------------------------------ proof of life


def _award(session: Session, who: Principal) -> dict | None:
    try:
        return benefits.pension_of(session=session, principal=who, person_id=who.person_id).award.model_dump()
    except NotFound:
        return None


def _proof_page(request: Request, rt: Runtime, who: Principal, *, errors: dict | None = None, done: str | None = None,
                status_code: int = 200) -> HTMLResponse:
    with rt.database.transaction() as session:
        award = _award(session, who)
        visits = receivers.visits_of(session=session, principal=who, person_id=who.person_id) if award else []
    return page(request, "citizen/selfpay_proof.html", {
        "award": award, "visits": [v | {"requested_on": _china_day(v["requested_at"])} for v in visits],
        "open_visit": any(v["status"] == "requested" for v in visits), "errors": errors or {}, "done": done},
        status_code=status_code)


@router.get("/me/apply/proof-of-life", response_class=HTMLResponse)
def proof_page(request: Request, rt: RuntimeDep):
    who, away = insured_login(request)
    return away or _proof_page(request, rt, who)


@router.post("/me/apply/proof-of-life/face", response_class=HTMLResponse)
def face_check(request: Request, rt: RuntimeDep, once: Once = ""):
    """The placeholder of the app's face check: records a certification with method online_face, dated today."""
    who, away = insured_login(request)
    if away:
        return away
    now = rt.clock.now()
    try:
        with rt.database.transaction() as session:
            if not spend_once(session, who, once, now):
                return message(request, "selfpay_proof_title", "already_done", 409, back="/me/apply/proof-of-life")
            receivers.certify(session=session, principal=who, now=now, command=CertificationCreate(
                person_id=who.person_id, method=CertificationMethod.ONLINE_FACE, certified_on=china_today(now),
                evidence=FACE_EVIDENCE.format(token=once[:16])))
    except DomainError as exc:
        return _proof_page(request, rt, who, errors={"face": reason_in(request, exc)}, status_code=exc.status_code)
    return _proof_page(request, rt, who, done="selfpay_face_done", status_code=201)


@router.post("/me/apply/proof-of-life/visit", response_class=HTMLResponse)
def visit_request(request: Request, rt: RuntimeDep, reason: Annotated[str, Form(max_length=400)] = "", once: Once = ""):
    """A staff home visit asked for: it waits in the queue of the staff where the person lives."""
    who, away = insured_login(request)
    if away:
        return away
    now = rt.clock.now()
    try:
        with rt.database.transaction() as session:
            if not spend_once(session, who, once, now):
                return message(request, "selfpay_proof_title", "already_done", 409, back="/me/apply/proof-of-life")
            if len(reason.strip()) > 200:
                raise InvalidInput("visit.reason", "原因最多 200 个字", "the reason is at most 200 characters")
            receivers.request_visit(session=session, principal=who, reason=reason, now=now)
    except DomainError as exc:
        return _proof_page(request, rt, who, errors={"reason": reason_in(request, exc)}, status_code=exc.status_code)
    return _proof_page(request, rt, who, done="selfpay_visit_done", status_code=201)


# ------------------------------------------------------------------ the staff queue of home visits


def _staff(request: Request) -> tuple[Principal | None, RedirectResponse | None]:
    who = current_principal(request)
    if who is None:
        return None, RedirectResponse("/login", status_code=303)
    if who.role not in VISIT_STAFF:
        return None, RedirectResponse(landing_for(who.role), status_code=303)
    return who, None


def _visits_page(request: Request, rt: Runtime, who: Principal, *, error: str | None = None, done: bool = False,
                 status_code: int = 200) -> HTMLResponse:
    with rt.database.transaction() as session:
        queue = receivers.visit_requests(session=session, principal=who)
    items = [v | {"requested_on": _china_day(v["requested_at"])} for v in queue["items"]]
    return page(request, "staff/visits.html", {"total": queue["total"], "items": items, "error": error, "done": done,
                                               "may_write": who.role != Role.AUDITOR}, status_code=status_code)


@router.get("/staff/visits", response_class=HTMLResponse)
def visits_page(request: Request, rt: RuntimeDep):
    who, away = _staff(request)
    return away or _visits_page(request, rt, who)


@router.post("/staff/visits/record", response_class=HTMLResponse)
def record_visit(request: Request, rt: RuntimeDep, visit_request_id: Form40 = "", once: Once = ""):
    """The clerk visited: the request is done and the visit is the receiver's proof of life (judged by the service on
    the person as stored; one answer outside the clerk's region)."""
    who, away = _staff(request)
    if away:
        return away
    if who.role == Role.AUDITOR:
        return message(request, "selfpay_visits_title", "case_read_only", 403, back="/staff/visits")
    if not visit_request_id.isdigit() or not 0 < int(visit_request_id) < 2**53:
        return message(request, "selfpay_visits_title", "selfpay_visit_unknown", 404, back="/staff/visits")
    now = rt.clock.now()
    try:
        with rt.database.transaction() as session:
            if not spend_once(session, who, once, now):
                return message(request, "selfpay_visits_title", "already_done", 409, back="/staff/visits")
            receivers.record_visit(session=session, principal=who, visit_request_id=int(visit_request_id), now=now)
    except DomainError as exc:
        if exc.status_code == 404:
            return message(request, "selfpay_visits_title", "selfpay_visit_unknown", 404, back="/staff/visits")
        return refused(request, exc) if exc.status_code == 403 else _visits_page(
            request, rt, who, error=reason_in(request, exc), status_code=exc.status_code)
    return _visits_page(request, rt, who, done=True, status_code=201)
