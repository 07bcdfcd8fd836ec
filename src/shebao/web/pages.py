"""Server-rendered pages. They translate what services return; no rule, no query of their own."""

from __future__ import annotations

import io
import secrets
from datetime import date
from decimal import Decimal
from typing import Annotated

import segno
from fastapi import Cookie, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from shebao.accounts import service as accounts
from shebao.accounts.api import client_address
from shebao.benefits import letter_service
from shebao.benefits import service as benefits
from shebao.benefits.letter import Letter
from shebao.benefits.rules import Group, add_months
from shebao.benefits.schemas import PensionEstimate
from shebao.cards import ecard_service
from shebao.cards import service as card_service
from shebao.cards.api import card_keys
from shebao.cards.ecard import LIFETIME_SECONDS
from shebao.cards.schemas import EcardOpen
from shebao.core.clock import china_today
from shebao.core.errors import DATE_FORMAT_ZH, Conflict, DomainError, NotFound
from shebao.core.http import Runtime, RuntimeDep, SessionDep, token_ttl
from shebao.core.money import fen_to_yuan, fen_to_yuan_grouped, parse_decimal
from shebao.core.regions import province_of
from shebao.core.security import Role
from shebao.demo.accounts import demo_principals, existing_demo_accounts
from shebao.policy.store import default_store
from shebao.registry import service as registry
from shebao.registry.rules import masked_name
from shebao.services import archive
from shebao.services.statement_pdf import statement_pdf
from shebao.web import estimate_form
from shebao.web.i18n import language, translator
from shebao.web.kit import (
    RETURN_COOKIE,
    STATIC_DIR,
    TOKEN_COOKIE,
    LangCookie,
    LangQuery,
    landing_for,
    message,
    nav_links,
    page_router,
    return_after_login,
    set_csrf_cookie,
    set_login_cookie,
    spend_once,
    templates,
)
from shebao.web.kit import principal_for as _principal
from shebao.web.letter_pdf import LetterFontMissing, find_font, letter_pdf
from shebao.web.record_charts import YearColumn, year_columns_svg

__all__ = ["STATIC_DIR", "TOKEN_COOKIE", "router"]
router = page_router()


@router.get("/", response_class=HTMLResponse)
def home(request: Request, session: SessionDep, rt: RuntimeDep, lang: LangQuery = None, lang_cookie: LangCookie = None):
    chosen = language(lang or lang_cookie)
    province = rt.settings.demo_province
    counties = registry.persons_by_county(session=session, province_code=province)
    response = templates.TemplateResponse(request, "home.html", {
        "t": translator(chosen), "lang": chosen, "holdings": registry.holdings(session=session),
        "counties": counties, "province": province,
        "province_name": registry.region_full_name(session=session, code=province),
        "accounts": existing_demo_accounts(session=session),
        "account_pages": {name: nav_links(who) for name, who in demo_principals(session=session).items()},
        "cards": sum(n for state, n in card_service.card_counts(session=session).items()
                     if state not in ("replaced", "cancelled")),
        "pensions": benefits.pension_summary(session=session, province=province), "yuan": fen_to_yuan,
    })
    if lang:
        response.set_cookie("lang", chosen, max_age=365 * 24 * 3600, samesite="lax")
    return response


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, lang: LangQuery = None, lang_cookie: LangCookie = None):
    chosen = language(lang or lang_cookie)
    return templates.TemplateResponse(request, "login.html", {"t": translator(chosen), "lang": chosen, "error": None})


@router.post("/login", response_class=HTMLResponse)
def log_in(request: Request, rt: RuntimeDep, username: Annotated[str, Form(max_length=64)],
           password: Annotated[str, Form(max_length=200)], otp: Annotated[str | None, Form(max_length=12)] = None,
           lang: LangQuery = None, lang_cookie: LangCookie = None):
    chosen = language(lang or lang_cookie)
    with rt.database.unit_of_work() as uow:  # a failed attempt is counted even though the login is refused
        outcome = accounts.log_in(session=uow.session, cipher=rt.cipher, username=username, password=password, otp=otp or None,
                                  now=rt.clock.now(), token_ttl=token_ttl(rt.settings),
                                  policy=accounts.login_policy(rt.settings), source=client_address(request))
        uow.commit()
    if outcome.error is not None:
        reason = outcome.error.reason_en if chosen == "en" else outcome.error.reason
        # The code field appears once the account is known to need it: most people never see it.
        ask_otp = bool(otp) or outcome.error.code in ("auth.otp_required", "auth.otp_wrong")
        return templates.TemplateResponse(request, "login.html", {"t": translator(chosen), "lang": chosen, "error": reason,
                                                                  "ask_otp": ask_otp, "username": username[:64]},
                                          status_code=outcome.error.status_code)
    who = _principal(rt, outcome.token.access_token)
    # Back to the page asked for before logging in, if this role may open it; else each role lands on its own page.
    response = RedirectResponse(return_after_login(request, who) if who else landing_for(outcome.token.role),
                                status_code=303)
    response.delete_cookie(RETURN_COOKIE, path="/")
    set_login_cookie(response, outcome.token.access_token, max_age=rt.settings.token_ttl_minutes * 60)
    set_csrf_cookie(response)  # a new session, a new CSRF token
    return response


@router.get("/me", response_class=HTMLResponse)
def my_record(request: Request, rt: RuntimeDep, lang: LangQuery = None, lang_cookie: LangCookie = None,
              token: Annotated[str | None, Cookie(alias=TOKEN_COOKIE)] = None):
    chosen = language(lang or lang_cookie)
    who = _principal(rt, token)
    if who is None:
        return RedirectResponse("/login", status_code=303)
    if who.role != Role.INSURED:
        return RedirectResponse(landing_for(who.role), status_code=303)
    with rt.database.transaction() as session:
        record = archive.person_record(session=session, principal=who, person_id=who.person_id, now=rt.clock.now())
        summary = archive.person_archive(session=session, principal=who, person_id=who.person_id, now=rt.clock.now())
    t = translator(chosen)
    bases = archive.yearly_bases(summary)
    charts = {
        "bases": year_columns_svg([YearColumn(b.year, b.average_base_fen, b.average_wage_fen) for b in bases],
                                  name="bases", label=t("record_bases_chart"), legend=t("record_base"),
                                  line_legend=t("record_average_wage"), lang=chosen),
        "account": year_columns_svg([YearColumn(int(y.year), y.closing_fen) for y in record.statement],
                                    name="account", label=t("record_account_chart"), legend=t("closing"), lang=chosen),
    }
    return templates.TemplateResponse(request, "me.html", {"t": t, "lang": chosen, "record": record, "archive": summary,
                                                           "bases": bases, "charts": charts, "yuan": fen_to_yuan})


@router.get("/me/archive", response_class=HTMLResponse)
def my_archive(request: Request, rt: RuntimeDep, lang: LangQuery = None, lang_cookie: LangCookie = None,
               token: Annotated[str | None, Cookie(alias=TOKEN_COOKIE)] = None):
    """The archive nationwide, the person's own: every province, the account, benefits, omitted months."""
    chosen = language(lang or lang_cookie)
    who = _insured(rt, token)
    if who is None:
        return RedirectResponse("/login", status_code=303)
    read = _own_archive(rt, who)
    return templates.TemplateResponse(request, "archive.html", {"t": translator(chosen), "lang": chosen, "archive": read,
                                                                "yuan": fen_to_yuan_grouped})


@router.get("/me/archive.pdf")
def my_archive_pdf(request: Request, rt: RuntimeDep, lang: LangQuery = None, lang_cookie: LangCookie = None,
                   token: Annotated[str | None, Cookie(alias=TOKEN_COOKIE)] = None):
    """The statement of rights (个人权益记录单) as a PDF, the person's own copy."""
    chosen = language(lang or lang_cookie)
    who = _insured(rt, token)
    if who is None:
        return RedirectResponse("/login", status_code=303)
    try:
        font = find_font(rt.settings.letter_font)
    except LetterFontMissing:
        return _notice(request, chosen, "letter_font_missing", LetterFontMissing.status_code)
    read = _own_archive(rt, who)
    pdf = statement_pdf(read, holder=masked_name(read.name), issued=china_today(rt.clock.now()), font=font)
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{STATEMENT_FILENAME}"', "Cache-Control": "no-store"})


# The statement's file name: the same for everyone, so that no name or ID number is written to the download folder.
STATEMENT_FILENAME = "shebao-statement.pdf"


def _own_archive(rt: Runtime, who):  # noqa: ANN001, ANN202 - the insured's principal; a PersonArchiveRead
    with rt.database.transaction() as session:
        return archive.person_archive(session=session, principal=who, person_id=who.person_id, now=rt.clock.now(),
                                      secret=rt.settings.secret_key)


@router.post("/logout")
def log_out(rt: RuntimeDep, token: Annotated[str | None, Cookie(alias=TOKEN_COOKIE)] = None):
    if token:
        with rt.database.transaction() as session:
            accounts.log_out(session=session, token=token[:200])
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(TOKEN_COOKIE)
    set_csrf_cookie(response)  # the next session starts with a new token
    return response


DEVICE_COOKIE = "shebao_device"


@router.get("/ecard", response_class=HTMLResponse)
def ecard_page(request: Request, rt: RuntimeDep, lang: LangQuery = None, lang_cookie: LangCookie = None,
               token: Annotated[str | None, Cookie(alias=TOKEN_COOKIE)] = None,
               device: Annotated[str | None, Cookie(alias=DEVICE_COOKIE)] = None):
    chosen = language(lang or lang_cookie)
    who = _principal(rt, token)
    if who is None or who.role != Role.INSURED:
        return RedirectResponse("/login", status_code=303)
    device = device if device and 8 <= len(device) <= 128 else secrets.token_urlsafe(16)
    context = {"t": translator(chosen), "lang": chosen, "code": None, "blocked": False, "error": None,
               "lifetime": LIFETIME_SECONDS, "stamp": int(rt.clock.now().timestamp())}
    try:
        with rt.database.transaction() as session:
            code = ecard_service.current_code(session=session, keys=card_keys(rt), principal=who, device_id=device,
                                              now=rt.clock.now())
        context.update(code=code.code, card_number=code.card_number[:4] + "****" + code.card_number[-3:])
    except Conflict as exc:  # the card is not usable (reported lost, replaced): the e-card is refused, and says why
        context.update(blocked=True, blocked_reason=exc.reason_en if chosen == "en" else exc.reason)
    except DomainError:
        pass  # not open yet, or open on another device: offer to open it here
    response = templates.TemplateResponse(request, "ecard.html", context)
    response.set_cookie(DEVICE_COOKIE, device, httponly=True, samesite="strict", max_age=5 * 365 * 24 * 3600)
    return response


@router.post("/ecard/open")
def ecard_open(request: Request, rt: RuntimeDep, password: Annotated[str, Form(max_length=200)],
               once: Annotated[str, Form(max_length=200)] = "",
               lang: LangQuery = None, token: Annotated[str | None, Cookie(alias=TOKEN_COOKIE)] = None,
               device: Annotated[str | None, Cookie(alias=DEVICE_COOKIE)] = None):
    who = _principal(rt, token)
    if who is None or not device:
        return RedirectResponse("/login", status_code=303)
    chosen = language(lang)
    try:
        with rt.database.transaction() as session:
            first = spend_once(session, who, once, rt.clock.now())  # submitted twice: opened by the first
            if first:
                ecard_service.open_ecard(session=session, principal=who, now=rt.clock.now(),
                                         command=EcardOpen(device_id=device, password=password))
    except DomainError as exc:
        context = {"t": translator(chosen), "lang": chosen, "code": None, "blocked": False,
                   "error": exc.reason_en if chosen == "en" else exc.reason, "lifetime": LIFETIME_SECONDS, "stamp": 0}
        return templates.TemplateResponse(request, "ecard.html", context, status_code=exc.status_code)
    if not first:
        return message(request, "ecard", "already_done", 409, back="/ecard")
    return RedirectResponse("/ecard", status_code=303)


@router.get("/ecard/qr.svg")
def ecard_qr(rt: RuntimeDep, token: Annotated[str | None, Cookie(alias=TOKEN_COOKIE)] = None,
             device: Annotated[str | None, Cookie(alias=DEVICE_COOKIE)] = None):
    who = _principal(rt, token)
    if who is None or not device:
        return Response(status_code=401)
    try:
        with rt.database.transaction() as session:
            code = ecard_service.current_code(session=session, keys=card_keys(rt), principal=who, device_id=device,
                                              now=rt.clock.now())
    except DomainError as exc:
        return Response(status_code=exc.status_code)
    image = io.BytesIO()
    segno.make(code.code, error="m").save(image, kind="svg", scale=6, border=2)
    return Response(image.getvalue(), media_type="image/svg+xml", headers={"Cache-Control": "no-store"})


def _insured(rt: Runtime, token: str | None):  # noqa: ANN202
    who = _principal(rt, token)
    return who if who is not None and who.role == Role.INSURED and who.person_id else None


@router.get("/me/pension", response_class=HTMLResponse)
def my_pension(request: Request, rt: RuntimeDep, lang: LangQuery = None, lang_cookie: LangCookie = None,
               token: Annotated[str | None, Cookie(alias=TOKEN_COOKIE)] = None):
    chosen = language(lang or lang_cookie)
    who = _insured(rt, token)
    if who is None:
        return RedirectResponse("/login", status_code=303)
    letter = None
    with rt.database.unit_of_work() as uow:
        estimator = _Estimator(rt, registry.person_by_id(session=uow.session, person_id=who.person_id))
        try:
            read, letter = letter_service.award_letter_of(session=uow.session, principal=who, person_id=who.person_id)
            pension = read.model_dump(mode="json")
        except NotFound:
            pension = None
    form = {"category": "male" if estimator.sex == "M" else "female_worker", "retire_date": None}
    form |= {name: str(slider.start) for name, slider in estimator.sliders.items()}
    return _pension_page(request, chosen, pension, form, estimator, letter=letter)


@router.get("/me/pension/letter.pdf")
def my_pension_letter(request: Request, rt: RuntimeDep, lang: LangQuery = None, lang_cookie: LangCookie = None,
                      token: Annotated[str | None, Cookie(alias=TOKEN_COOKIE)] = None):
    """The pension letter as a PDF, the person's own copy: named as the archive names them, masked."""
    chosen = language(lang or lang_cookie)
    who = _insured(rt, token)
    if who is None:
        return RedirectResponse("/login", status_code=303)
    with rt.database.unit_of_work() as uow:
        person = registry.person_by_id(session=uow.session, person_id=who.person_id)
        holder, id_number_masked = masked_name(person.name), person.id_number_masked
        try:
            _, letter = letter_service.award_letter_of(session=uow.session, principal=who, person_id=who.person_id)
        except NotFound:
            return _notice(request, chosen, "no_award_letter", 404)
    try:
        font = find_font(rt.settings.letter_font)
    except LetterFontMissing:
        return _notice(request, chosen, "letter_font_missing", LetterFontMissing.status_code)
    pdf = letter_pdf(letter.read(chosen), holder=holder, id_number_masked=id_number_masked,
                     issued=china_today(rt.clock.now()), lang=chosen, font=font, footer=translator(chosen)("letter_footer"))
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": 'inline; filename="pension-letter.pdf"', "Cache-Control": "no-store"})


def _notice(request: Request, chosen: str, key: str, status_code: int) -> HTMLResponse:
    return templates.TemplateResponse(request, "notice.html", {"t": translator(chosen), "lang": chosen, "message_key": key},
                                      status_code=status_code)


class _Estimator:
    """The estimate form of one person: its sliders (estimate_form) in the person's province today, and the statutory
    retirement date a category gives, from which the retirement slider moves."""

    def __init__(self, rt: Runtime, person) -> None:  # noqa: ANN001 - a registry person
        self.birth_date, self.sex, self.province = person.birth_date, person.sex, province_of(person.hukou_region_code)
        self.sliders = estimate_form.sliders(default_store().at(self.province, china_today(rt.clock.now())))

    def statutory(self, category: str) -> date | None:
        try:
            return benefits.retirement_date(birth_date=self.birth_date, sex=self.sex, group=Group(category),
                                            region=self.province).statutory_date
        except (ValueError, DomainError):  # no such category, or not this person's: the estimate says why
            return None


def _pension_page(request: Request, chosen: str, pension: dict | None, form: dict, estimator: _Estimator,
                  estimate: dict | None = None, error: str | None = None, status_code: int = 200,
                  letter: Letter | None = None, estimate_letter: Letter | None = None,
                  problems: dict[str, tuple[str, str]] | None = None) -> HTMLResponse:
    paid: dict[str, int] = {}
    for line in (pension or {}).get("payroll", []):
        if line["status"] == "paid":
            paid[line["paid_period"]] = paid.get(line["paid_period"], 0) + line["amount_fen"]
    months = [{"period": p, "amount": paid[p]} for p in sorted(paid)[-12:]]
    ahead = next((a["value"] for a in (estimate or {}).get("assumptions", []) if a["step"] == "future_months"), None)
    values = {name: _decimal_or_none(form.get(name)) for name in estimator.sliders}
    return templates.TemplateResponse(request, "pension.html", {
        "t": translator(chosen), "lang": chosen, "pension": pension, "paid_by_month": months, "yuan": fen_to_yuan_grouped,
        "form": form, "estimate": estimate, "error": error, "letter": letter.read(chosen) if letter else None,
        "estimate_letter": estimate_letter.read(chosen) if estimate_letter else None,
        "estimate_letter_fen": estimate_letter.todays_money_fen if estimate_letter else None, "months_ahead": ahead,
        "sliders": estimator.sliders, "values": values, "statutory": estimator.statutory(form["category"]),
        "problems": {name: (en if chosen == "en" else zh) for name, (zh, en) in (problems or {}).items()}},
        status_code=status_code)


def _decimal_or_none(text: str | None) -> Decimal | None:
    try:
        return parse_decimal(text) if text else None
    except DomainError:
        return None


@router.post("/me/pension/estimate", response_class=HTMLResponse)
def my_estimate(request: Request, rt: RuntimeDep, category: Annotated[str, Form(max_length=20)],
                wage_growth: Annotated[str, Form(max_length=12)] = "", future_index: Annotated[str, Form(max_length=12)] = "",
                retire_shift: Annotated[str, Form(max_length=12)] = "", retire_date: Annotated[str, Form(max_length=10)] = "",
                lang: LangQuery = None, lang_cookie: LangCookie = None,
                token: Annotated[str | None, Cookie(alias=TOKEN_COOKIE)] = None):
    """The estimate, from the sliders (or a retirement date typed in); a value out of its range is refused next to
    its field and nothing is estimated."""
    chosen = language(lang or lang_cookie)
    who = _insured(rt, token)
    if who is None:
        return RedirectResponse("/login", status_code=303)
    with rt.database.transaction() as session:
        estimator = _Estimator(rt, registry.person_by_id(session=session, person_id=who.person_id))
    form = {"category": category, "retire_date": retire_date or None, "retire_shift": retire_shift,
            "wage_growth": wage_growth, "future_index": future_index}
    values, problems = estimate_form.checked(form, estimator.sliders)
    if problems:
        return _pension_page(request, chosen, None, form, estimator, problems=problems, status_code=422)
    statutory = estimator.statutory(category)
    shifted = add_months(statutory, int(values["retire_shift"])) if statutory and values["retire_shift"] else None
    try:
        command = PensionEstimate.model_validate({
            "person_id": who.person_id, "category": category, "retire_date": retire_date or shifted,
            "wage_growth": str(values["wage_growth"]), "future_index": str(values["future_index"])})
        with rt.database.unit_of_work() as uow:
            read, letter = letter_service.estimate_letter_of(session=uow.session, principal=who, command=command,
                                                             now=rt.clock.now())
            result = read.model_dump(mode="json")
    except ValidationError as exc:
        field = str(exc.errors()[0]["loc"][0])
        reason = _ESTIMATE_FIELD_PROBLEMS.get(field, ("输入有误，请检查后重试", "invalid input: check and try again"))
        return _pension_page(request, chosen, None, form, estimator, problems={field: reason}, status_code=422)
    except DomainError as exc:  # the service's refusals (a retirement date passed, a category not the person's)
        field = exc.code.removeprefix("estimate.") if exc.code.startswith("estimate.") else None
        if field == "retire_date" and not retire_date:
            field = "retire_shift"
        if field in form:
            return _pension_page(request, chosen, None, form, estimator, problems={field: (exc.reason, exc.reason_en)},
                                 status_code=exc.status_code)
        return _pension_page(request, chosen, None, form, estimator, error=exc.reason_en if chosen == "en" else exc.reason,
                             status_code=exc.status_code)
    return _pension_page(request, chosen, None, form, estimator, estimate=result, estimate_letter=letter)


# The estimate form's fields as a person reads them when one is wrong (pydantic's own message is English only).
_ESTIMATE_FIELD_PROBLEMS = {"category": ("请选择人员类别", "choose a category"),
                            "retire_date": ("退休" + DATE_FORMAT_ZH, "the retirement date is YYYY-MM-DD")}
