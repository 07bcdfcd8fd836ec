"""The cockpit (驾驶舱) as a web page for managers: a region's figures as tiles and charts, its child regions as a table
that drills down from the country to a street, and the province's fund projection. The figures are the risk context's
(`risk.cockpit.figures`, read from the summary tables the batch jobs refresh); this module only lays them out.

Who may look: staff (their own region, as stored on their account, and below), administrators and auditors (the
country). Anyone else logged in is told the page is not theirs; a region outside one's scope answers one 404 page,
the same whether the region exists or not."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Cookie, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from shebao.core.clock import china_today
from shebao.core.errors import DomainError, InvalidInput, NotFound
from shebao.core.http import RuntimeDep
from shebao.core.insurances import Insurance
from shebao.core.money import fen_to_yuan_grouped
from shebao.core.regions import NATIONAL_REGION, is_province
from shebao.core.security import Principal, Role
from shebao.enrollment.rules import Scheme
from shebao.policy.store import default_store
from shebao.registry import service as registry
from shebao.risk import cockpit, cockpit_rules
from shebao.risk.projection import project_fund
from shebao.risk.projection_chart import projection_svg
from shebao.risk.rules import SEVERITY_ORDER
from shebao.web.cockpit_charts import bar_svg, fund_svg
from shebao.web.i18n import language, translator
from shebao.web.pages import TOKEN_COOKIE, LangCookie, LangQuery, _principal, templates

router = APIRouter(include_in_schema=False)
VIEWERS = (Role.STAFF, Role.ADMIN, Role.AUDITOR)
RegionQuery = Annotated[str | None, Query(max_length=20)]
TokenCookie = Annotated[str | None, Cookie(alias=TOKEN_COOKIE)]


@router.get("/cockpit", response_class=HTMLResponse)
def cockpit_page(request: Request, rt: RuntimeDep, region: RegionQuery = None,
                 insurance: Annotated[str | None, Query(max_length=20)] = None, lang: LangQuery = None,
                 lang_cookie: LangCookie = None, token: TokenCookie = None):
    chosen = language(lang or lang_cookie)
    who = _principal(rt, token)
    if who is None:
        return RedirectResponse("/login", status_code=303)
    if who.role not in VIEWERS or (who.role == Role.STAFF and not who.region_code):
        return _refused(request, chosen, "cockpit_not_yours", 403)
    code = _home(who) if region is None else region
    try:
        code = _in_scope(who, code)
        with rt.database.unit_of_work() as uow:
            read = cockpit.figures(session=uow.session, principal=who, region=code)
            if read["name"] is None:  # a street the registry does not hold: nothing to show, as outside the scope
                raise NotFound("scope.not_found", "未找到", "not found")
            trail = _trail(uow.session, who, code)
    except NotFound:
        return _refused(request, chosen, "cockpit_not_found", 404)
    except DomainError as exc:
        return _refused(request, chosen, None, exc.status_code, reason=exc.reason_en if chosen == "en" else exc.reason)
    t = translator(chosen)
    response = templates.TemplateResponse(request, "cockpit/cockpit.html", {
        "t": t, "lang": chosen, "read": read, "trail": trail, "yuan": fen_to_yuan_grouped, "percent": _percent,
        "count": "{:,}".format, "tiles": _tiles(read["figures"], t), "charts": _charts(read["figures"], t),
        "fund": _fund(read.get("fund"), insurance, t, chosen), "level_name": _level_name(read["level"], chosen),
        "drill_name": _level_name(read["level"] + 1, chosen), "projection": read["projection_chart"] and
        f"/cockpit/projection.svg?province={read['region']}"})
    if lang:
        response.set_cookie("lang", chosen, max_age=365 * 24 * 3600, samesite="lax")
    return response


@router.get("/cockpit/projection.svg")
def cockpit_projection(request: Request, rt: RuntimeDep, province: RegionQuery = None, lang: LangQuery = None,
                       lang_cookie: LangCookie = None, token: TokenCookie = None):
    """The province's fund projection chart (risk/projection_chart.py), served from the login cookie."""
    chosen = language(lang or lang_cookie)
    who = _principal(rt, token)
    if who is None:
        return RedirectResponse("/login", status_code=303)
    if who.role not in VIEWERS:
        return _refused(request, chosen, "cockpit_not_yours", 403)
    try:
        code = _in_scope(who, province or "")
        if not is_province(code):
            raise InvalidInput("cockpit.province", f"「{code}」不是省级区划代码", f"{code!r} is not a province code")
        with rt.database.unit_of_work() as uow:
            projection = project_fund(session=uow.session, store=default_store(), province=code,
                                      today=china_today(rt.clock.now()))
    except NotFound:
        return _refused(request, chosen, "cockpit_not_found", 404)
    except DomainError as exc:
        return _refused(request, chosen, None, exc.status_code, reason=exc.reason_en if chosen == "en" else exc.reason)
    return Response(projection_svg(projection), media_type="image/svg+xml", headers={"Cache-Control": "private, max-age=300"})


def _home(who: Principal) -> str:
    """Where a manager's cockpit opens: their own region as stored on their account; the country for the others."""
    return who.region_code if who.role == Role.STAFF and who.region_code else NATIONAL_REGION


def _in_scope(who: Principal, region: str) -> str:
    """A well-formed region code within the caller's scope. Outside it: one "not found", whether it exists or not."""
    code = cockpit_rules.check_region_code(region)
    if not who.can_see_region(code):
        raise NotFound("scope.not_found", "未找到，或不在您的管辖范围内", "not found, or outside your region")
    return code


def _trail(session, who: Principal, region: str) -> list[dict]:  # noqa: ANN001 - a Session
    """The breadcrumb: the regions above this one that the caller may open, the country first."""
    trail = []
    for code in reversed(cockpit_rules.ancestors(region)[1:]):
        if who.can_see_region(code):
            trail.append({"region": code, "name": _region_name(session, code)})
    return trail


def _region_name(session, code: str) -> str:  # noqa: ANN001 - a Session
    if code == NATIONAL_REGION:
        return cockpit_rules.LEVEL_NAMES[0][0]
    try:
        return registry.get_region(session=session, code=code).name
    except DomainError:
        return code


def _level_name(level: int, lang: str) -> str | None:
    names = cockpit_rules.LEVEL_NAMES.get(level)
    return None if names is None else names[1 if lang == "en" else 0]


def _percent(rate: str | None) -> str:
    """"0.9375" → "93.75%"; no rate (nobody should be insured yet) → "—"."""
    return "—" if rate is None else f"{(Decimal(rate) * 100).quantize(Decimal('0.01'))}%"


def _tiles(figures: dict, t) -> list[dict]:  # noqa: ANN001 - the page's translator
    coverage, cases = figures["coverage"], figures["open_cases"]
    return [
        {"key": "coverage", "value": _percent(coverage["rate"]), "label": t("cockpit_coverage"),
         "note": f"{coverage['insured']:,} / {coverage['should_be_insured']:,}"},
        {"key": "insured", "value": f"{coverage['insured']:,}", "label": t("cockpit_pension_insured")},
        {"key": "card_holders", "value": f"{figures['card_holders']:,}", "label": t("cockpit_card_holders")},
        {"key": "ecard_holders", "value": f"{figures['ecard_holders']:,}", "label": t("cockpit_ecard_holders")},
        {"key": "interrupted", "value": f"{figures['interrupted']:,}", "label": t("cockpit_interrupted")},
        {"key": "open_cases", "value": f"{cases['total']:,}", "label": t("cockpit_open_cases"),
         "note": f"{t('cockpit_at_stake')} {fen_to_yuan_grouped(cases['amount_fen'])} {t('yuan_unit')}"},
        {"key": "recovered", "value": fen_to_yuan_grouped(figures["recovered_fen"]["total"]),
         "label": t("cockpit_recovered"), "note": t("yuan_unit")},
    ]


def _charts(figures: dict, t) -> dict:  # noqa: ANN001 - the page's translator
    by_scheme = figures["insured_by_insurance"]
    schemes = [s.value for s in Scheme if s.value in by_scheme] + sorted(set(by_scheme) - {s.value for s in Scheme})
    insured = [(_name(t, "scheme", scheme), by_scheme[scheme], f"{by_scheme[scheme]:,}") for scheme in schemes]
    by_severity = figures["open_cases"]["by_severity"]
    at_stake = figures["open_cases"]["amount_fen_by_severity"]
    severities = [(_name(t, "severity", s.value), by_severity.get(s.value, 0), f"{by_severity.get(s.value, 0):,}",
                   fen_to_yuan_grouped(at_stake.get(s.value, 0))) for s in reversed(SEVERITY_ORDER)]
    return {
        "insured": {"table": [[name, shown] for name, _, shown in insured],
                    "svg": bar_svg(insured, name="insured", label=t("cockpit_chart_insured"))},
        "cases": {"table": [[name, shown, amount] for name, _, shown, amount in severities],
                  "svg": bar_svg([row[:3] for row in severities], name="cases", label=t("cockpit_chart_cases"))},
    }


def _fund(fund: dict | None, insurance: str | None, t, lang: str) -> dict | None:  # noqa: ANN001 - the translator
    """The fund's months for the insurance asked (an unknown one falls back to pension, or the first there is)."""
    if not fund or not fund.get("by_insurance"):
        return {"pooled_by": fund["pooled_by"]} if fund and fund.get("pooled_by") else None
    funds = fund["by_insurance"]
    order = [i.value for i in Insurance if i.value in funds] + sorted(set(funds) - {i.value for i in Insurance})
    chosen = insurance if insurance in funds else (Insurance.PENSION.value if Insurance.PENSION.value in funds else order[0])
    months = funds[chosen]["months"]
    label = f"{t('cockpit_fund_chart')} · {_name(t, 'insurance', chosen)}"
    covered = [(_name(t, "insurance", i), float(funds[i]["months_covered"] or 0), funds[i]["months_covered"] or "—")
               for i in order]
    return {"pooled_by": fund["pooled_by"], "window": fund["window_months"], "chosen": chosen,
            "choices": [{"key": i, "name": _name(t, "insurance", i)} for i in order], "months": months,
            "balance_fen": funds[chosen]["balance_fen"], "months_covered": funds[chosen]["months_covered"],
            "svg": fund_svg(months, label=label, t=t, lang=lang) if months else None, "label": label,
            "heads": [t("cockpit_month"), *(f"{t(key)}（{t('yuan_unit')}）" for key in ("fund_income", "fund_spending", "fund_balance"))],
            "table": [[f"{m['period'][:4]}-{m['period'][4:]}", *(fen_to_yuan_grouped(m[key]) for key in
                                                                 ("income_fen", "spending_fen", "balance_fen"))] for m in months],
            "covered_table": [[name, shown] for name, _, shown in covered],
            "covered_svg": bar_svg(covered, name="months_covered", label=t("cockpit_months_covered"))}


def _name(t, kind: str, key: str) -> str:  # noqa: ANN001 - the translator
    try:
        return t(f"{kind}_{key}")
    except KeyError:
        return key


def _refused(request: Request, chosen: str, key: str | None, status_code: int, reason: str | None = None) -> HTMLResponse:
    t = translator(chosen)
    return templates.TemplateResponse(request, "cockpit/refused.html", {
        "t": t, "lang": chosen, "message": reason or t(key), "status": status_code}, status_code=status_code)

