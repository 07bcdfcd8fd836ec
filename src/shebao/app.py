"""create_app(): every context's router, the web pages, error mapping, limits and logging."""

from __future__ import annotations

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi_swagger import patch_fastapi

from shebao import __version__
from shebao.accounts.api import router as accounts_router
from shebao.accounts.service import principal_for_token
from shebao.audit.api import router as audit_router
from shebao.benefits.api import router as benefits_router
from shebao.cards.api import router as cards_router
from shebao.comparison.api import router as comparison_router
from shebao.comparison.linkage_api import router as linkage_router
from shebao.contributions.api import router as contributions_router
from shebao.core.clock import Clock, SystemClock
from shebao.core.db import Database
from shebao.core.http import (
    BodySizeLimit,
    NulRefusal,
    Runtime,
    SecurityHeaders,
    install_error_handlers,
    install_request_logging,
)
from shebao.core.logging import configure_logging
from shebao.core.security import FieldCipher
from shebao.enrollment.api import router as enrollment_router
from shebao.ledger.api import router as ledger_router
from shebao.payouts.api import router as payouts_router
from shebao.policy.api import router as policy_router
from shebao.registry.api import router as registry_router
from shebao.risk.api import router as risk_router
from shebao.risk.cases_api import router as risk_cases_router
from shebao.risk.catalogue_api import router as risk_rules_router
from shebao.risk.cockpit_api import router as cockpit_router
from shebao.risk.guards_api import router as risk_guards_router  # importing it registers the in-process rules
from shebao.risk.screen_api import router as risk_screen_router
from shebao.services.api import router as archive_router
from shebao.services.authorization import authorize, declare_refusals
from shebao.services.exchange_api import router as exchange_router
from shebao.settings import Settings, get_settings
from shebao.transfers.api import router as transfers_router
from shebao.web import staff_queue_pages, staff_run_pages  # the runs and the queue lists (#16)
from shebao.web.citizen_apply_pages import router as citizen_apply_pages_router
from shebao.web.citizen_card_pages import router as citizen_card_pages_router
from shebao.web.citizen_selfpay_pages import router as citizen_selfpay_pages_router
from shebao.web.cockpit_pages import router as cockpit_pages_router
from shebao.web.employer_pages import router as employer_pages_router
from shebao.web.kit import install as install_pages
from shebao.web.pages import STATIC_DIR
from shebao.web.pages import router as web_router
from shebao.web.staff_card_pages import router as staff_card_pages_router
from shebao.web.staff_case_pages import router as staff_case_pages_router
from shebao.web.staff_pages import router as staff_pages_router


def create_app(settings: Settings | None = None, *, database: Database | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or get_settings()
    settings.check_production_safety()
    configure_logging(settings.log_level, settings.log_json)
    app = FastAPI(
        docs_url=None,  # served below from packaged assets: the machines it runs on may have no CDN
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
        dependencies=[Depends(authorize)],  # the permission table, enforced on every API route
        title="shebao 社保",
        version=__version__,
        description="全国统一社会保障信息平台 — an open national social security information platform: "
        "one person, one number, one card, one account, one network.",
    )
    app.state.runtime = Runtime(
        settings=settings,
        database=database or Database(settings.database_url),
        clock=clock or SystemClock(),
        cipher=FieldCipher(settings.secret_key),
        authenticate=principal_for_token,
    )
    install_error_handlers(app)
    install_request_logging(app)
    app.add_middleware(NulRefusal)  # inside the size limit: it reads the (limited) JSON body once
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_request_bytes)
    install_pages(app)  # the pages' CSRF cookie and preferences, inside the security headers (they harden its cookies)
    app.add_middleware(SecurityHeaders)

    @app.get("/api/v1/health", tags=["health"], summary="Liveness and database reachability")
    def health() -> dict:
        from shebao.core.health import check

        return check(app.state.runtime.database)

    for router in (accounts_router, registry_router, enrollment_router, contributions_router, archive_router, cards_router, benefits_router, payouts_router,
                   transfers_router, comparison_router, linkage_router, risk_router, ledger_router, policy_router,
                   audit_router, exchange_router, risk_rules_router, risk_guards_router, cockpit_router,
                   risk_cases_router, risk_screen_router, web_router, employer_pages_router, staff_pages_router,
                   staff_case_pages_router, cockpit_pages_router, citizen_card_pages_router):
        app.include_router(router)
    app.include_router(staff_card_pages_router)
    for pages_router in (staff_run_pages.router, staff_queue_pages.router):  # runs, queue lists (#16)
        app.include_router(pages_router)
    app.include_router(citizen_apply_pages_router)
    app.include_router(citizen_selfpay_pages_router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    declare_refusals(app)
    patch_fastapi(app, docs_url="/docs", redirect_from_root_to_docs=False,
                  swagger_ui_parameters={"persistAuthorization": True, "filter": True})
    return app
