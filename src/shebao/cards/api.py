"""Card HTTP API: apply, issue on the spot, activate, report lost, unfreeze, replace, cancel, read."""

from __future__ import annotations

from fastapi import APIRouter

from shebao.cards import service
from shebao.cards.schemas import Activation, CardApply, CardMoveRequest, CardRead, InstantIssue, PinCheck, PinReset
from shebao.core.http import CipherDep, NowDep, PrincipalDep, SessionDep

router = APIRouter(prefix="/api/v1", tags=["cards"])


@router.post("/cards", response_model=CardRead, status_code=201, summary="Apply for a card (one valid card per person)")
def apply_for_card(body: CardApply, session: SessionDep, who: PrincipalDep, now: NowDep):
    return service.apply_for_card(session=session, principal=who, command=body, now=now)


@router.get("/persons/{person_id}/cards", response_model=list[CardRead], summary="A person's cards and their moves")
def cards_of(person_id: int, session: SessionDep, cipher: CipherDep, who: PrincipalDep, now: NowDep):
    return service.cards_of(session=session, cipher=cipher, principal=who, person_id=person_id, now=now)


@router.post("/cards/{card_id}/issue", response_model=CardRead, summary="Issue on the spot at a counter (即时制卡)")
def issue(card_id: int, body: InstantIssue, session: SessionDep, cipher: CipherDep, who: PrincipalDep, now: NowDep):
    return service.issue_on_the_spot(session=session, cipher=cipher, principal=who, card_id=card_id, command=body, now=now)


@router.post("/cards/{card_id}/activate", response_model=CardRead, summary="The holder activates the card with a PIN")
def activate(card_id: int, body: Activation, session: SessionDep, who: PrincipalDep, now: NowDep):
    return service.activate(session=session, principal=who, card_id=card_id, command=body, now=now)


@router.post("/cards/{card_id}/report-lost", response_model=CardRead, summary="Report lost: every use freezes at once")
def report_lost(card_id: int, body: CardMoveRequest, session: SessionDep, who: PrincipalDep, now: NowDep):
    return service.report_lost(session=session, principal=who, card_id=card_id, command=body, now=now)


@router.post("/cards/{card_id}/unfreeze", response_model=CardRead, summary="Found again: the card works again")
def unfreeze(card_id: int, body: CardMoveRequest, session: SessionDep, who: PrincipalDep, now: NowDep):
    return service.unfreeze(session=session, principal=who, card_id=card_id, command=body, now=now)


@router.post("/cards/{card_id}/replace", response_model=CardRead, summary="Replace: the old card ends, a new one is applied for")
def replace(card_id: int, body: CardMoveRequest, session: SessionDep, who: PrincipalDep, now: NowDep):
    return service.replace(session=session, principal=who, card_id=card_id, command=body, now=now)


@router.post("/cards/{card_id}/cancel", response_model=CardRead, summary="Cancel: death, or at the holder's request")
def cancel(card_id: int, body: CardMoveRequest, session: SessionDep, who: PrincipalDep, now: NowDep):
    return service.cancel(session=session, principal=who, card_id=card_id, command=body, now=now)


@router.post("/cards/pin-check", summary="A terminal or bank checks a PIN (three wrong in a row lock it)")
def check_pin(body: PinCheck, session: SessionDep, who: PrincipalDep, now: NowDep) -> dict:
    return service.check_pin(session=session, principal=who, command=body, now=now)


@router.post("/cards/{card_id}/pin", response_model=CardRead, summary="Reset the PIN (counter with identity checked, or online)")
def reset_pin(card_id: int, body: PinReset, session: SessionDep, who: PrincipalDep, now: NowDep):
    return service.reset_pin(session=session, principal=who, card_id=card_id, command=body, now=now)
