"""HTTP API of the exchange by message (DCI social-registry shape, docs/comparison.md "Exchange by message").

No bearer token opens these routes: a partner is who signed the message (its registered Ed25519 key), and the
permission table declares them `signed`. Every answer is an envelope signed with the platform's key, whose public
half is published at /api/v1/registry/keys.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Request

from shebao.comparison import registry_exchange as exchange
from shebao.comparison import subscriptions
from shebao.comparison.exchange_platform import Platform
from shebao.comparison.schemas import DciEnvelope, JwksRead
from shebao.core.http import NowDep, Runtime, RuntimeDep
from shebao.services import registry_events

router = APIRouter(prefix="/api/v1/registry", tags=["exchange"])
Envelope = Annotated[dict[str, Any], Body(description='{"signature": "Signature: namespace=\\"spdci\\", kidId=…", '
                                                      '"header": {…}, "message": {…}}')]


def platform_of(request: Request, rt: Runtime) -> Platform:
    """The platform's signing side, made once per app (unsealing its key costs an Argon2id derivation)."""
    platform = getattr(request.app.state, "exchange_platform", None)
    if platform is None:
        platform = request.app.state.exchange_platform = Platform.for_settings(rt.settings, rt.cipher)
    return platform


@router.get("/keys", response_model=JwksRead, summary="The platform's public signing keys (JWKS), to check our envelopes")
def keys(request: Request, rt: RuntimeDep):
    return platform_of(request, rt).public_keys()


@router.post("/notify", response_model=DciEnvelope, summary="Deaths and births pushed by a partner: each event recorded "
             "once; a death starts the death use case at once")
def notify(envelope: Envelope, request: Request, rt: RuntimeDep, now: NowDep):
    return registry_events.receive_events(database=rt.database, platform=platform_of(request, rt), envelope=envelope,
                                          now=now)


@router.post("/sync/search", response_model=DciEnvelope,
             summary="Search persons by ID number or by name, birth date and sex; the on-search answer at once")
def sync_search(envelope: Envelope, request: Request, rt: RuntimeDep, now: NowDep):
    return exchange.search(database=rt.database, platform=platform_of(request, rt), envelope=envelope, now=now)


@router.post("/search", response_model=DciEnvelope, status_code=202,
             summary="Search, answered later: acknowledged with the transaction id, the result sent to the partner's "
                     "/registry/on-search through the outbox")
def search(envelope: Envelope, request: Request, rt: RuntimeDep, now: NowDep):
    return exchange.accept_search(database=rt.database, platform=platform_of(request, rt), envelope=envelope, now=now)


@router.post("/alive-check", response_model=DciEnvelope,
             summary="Is each of these persons alive? Many ID numbers in, alive / deceased (with the date) / unknown out")
def alive_check(envelope: Envelope, request: Request, rt: RuntimeDep, now: NowDep):
    return exchange.alive_check(database=rt.database, platform=platform_of(request, rt), envelope=envelope, now=now)


@router.post("/subscribe", response_model=DciEnvelope, summary="Subscribe to our deaths or pension starts")
def subscribe(envelope: Envelope, request: Request, rt: RuntimeDep, now: NowDep):
    return subscriptions.subscribe(database=rt.database, platform=platform_of(request, rt), envelope=envelope, now=now)


@router.post("/unsubscribe", response_model=DciEnvelope, summary="End subscriptions")
def unsubscribe(envelope: Envelope, request: Request, rt: RuntimeDep, now: NowDep):
    return subscriptions.unsubscribe(database=rt.database, platform=platform_of(request, rt), envelope=envelope, now=now)
