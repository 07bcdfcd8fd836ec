"""Server-rendered pages. They translate what services return; no rule, no query of their own."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Cookie, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from shebao.core.http import RuntimeDep, SessionDep
from shebao.demo.accounts import existing_demo_accounts
from shebao.registry import service as registry
from shebao.web.i18n import language, translator

WEB_DIR = Path(__file__).parent
STATIC_DIR = WEB_DIR / "static"
templates = Jinja2Templates(directory=WEB_DIR / "templates")
router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, session: SessionDep, rt: RuntimeDep,
         lang: Annotated[str | None, Query(max_length=2)] = None,
         lang_cookie: Annotated[str | None, Cookie(alias="lang")] = None):
    chosen = language(lang or lang_cookie)
    province = rt.settings.demo_province
    counties = registry.persons_by_county(session=session, province_code=province)
    top = max((c["persons"] for c in counties), default=0)
    response = templates.TemplateResponse(request, "home.html", {
        "t": translator(chosen), "lang": chosen, "holdings": registry.holdings(session=session),
        "counties": counties, "top": top, "province": province,
        "province_name": registry.region_full_name(session=session, code=province),
        "accounts": existing_demo_accounts(session=session),
    })
    if lang:
        response.set_cookie("lang", chosen, max_age=365 * 24 * 3600, samesite="lax")
    return response
