"""The citizen's own card and reminders: the card's state in words, its bank binding (the account masked), reporting
it lost in one step with a confirmation, and the reminders the platform sent to the person.

There is no id in any address here: every page is the login's own person, as the account stores it. Reporting lost
is the cards context's own use case (audited, the bank function frozen with it); the form carries the CSRF token and
a one-time token spent in the same transaction, so a second submission does nothing twice."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import HTMLResponse

from shebao.benefits import receivers
from shebao.cards import rules as card_rules
from shebao.cards import service as card_service
from shebao.cards.rules import CardMove, CardState
from shebao.cards.schemas import CardMoveRequest, CardRead
from shebao.comparison import outbox
from shebao.core.errors import DomainError
from shebao.core.http import Runtime, RuntimeDep
from shebao.core.security import Principal
from shebao.transfers import service as transfers
from shebao.web.i18n import TEXT
from shebao.web.kit import (
    chosen_language,
    insured_login,
    message,
    page,
    page_router,
    refused,
    spend_once,
)

router = page_router()
LOST_REASON = "持卡人网上挂失 reported lost online by the holder"
# What the holder can do next, by the card's state (a key of i18n for each).
NEXT_STEP = {CardState.APPLIED: "card_next_applied", CardState.IN_PRODUCTION: "card_next_in_production",
             CardState.ISSUED: "card_next_issued", CardState.ACTIVE: "card_next_active",
             CardState.FROZEN: "card_next_frozen", CardState.REPLACED: "card_next_replaced",
             CardState.CANCELLED: "card_next_cancelled"}


def _can_report_lost(card: CardRead) -> bool:
    return (card.state, CardMove.REPORT_LOST) in card_rules.ALLOWED_MOVES


def _own_cards(rt: Runtime, who: Principal) -> list[CardRead]:
    with rt.database.transaction() as session:
        return card_service.cards_of(session=session, cipher=rt.cipher, principal=who, person_id=who.person_id,
                                     now=rt.clock.now())


def _shown(card: CardRead, chosen: str) -> dict:
    state_zh, state_en = card_rules.state_name(card.state)
    number = card.card_number
    return {"id": card.id, "state": card.state.value, "state_words": state_en if chosen == "en" else state_zh,
            "number": f"{number[:4]}****{number[-3:]}" if number else None, "issue_date": card.issue_date,
            "expiry_date": card.expiry_date, "bank_code": card.bank_code,
            "bank_key": f"bank_{card.bank_code}" if f"bank_{card.bank_code}" in TEXT else None, "bank_account": card.bank_account_masked,
            "bank_working": card.financial_function, "next": NEXT_STEP.get(card.state, "card_next_cancelled"),
            "can_report_lost": _can_report_lost(card)}


@router.get("/me/card", response_class=HTMLResponse)
def my_card(request: Request, rt: RuntimeDep):
    who, away = insured_login(request)
    if away:
        return away
    chosen = chosen_language(request)
    cards = [_shown(card, chosen) for card in _own_cards(rt, who)]
    return page(request, "citizen/card.html", {"cards": cards})


@router.get("/me/card/lost", response_class=HTMLResponse)
def confirm_lost(request: Request, rt: RuntimeDep):
    """What reporting lost does, before it is done: one button confirms it."""
    who, away = insured_login(request)
    if away:
        return away
    card = next((c for c in _own_cards(rt, who) if _can_report_lost(c)), None)
    if card is None:
        return message(request, "card_lost_title", "card_nothing_to_report", 409, back="/me/card")
    return page(request, "citizen/card_lost.html", {"card": _shown(card, chosen_language(request))})


@router.post("/me/card/lost", response_class=HTMLResponse)
def report_lost(request: Request, rt: RuntimeDep, once: Annotated[str, Form(max_length=200)] = ""):
    """The holder's own card reported lost: frozen at once, the bank function and the e-card with it."""
    who, away = insured_login(request)
    if away:
        return away
    now = rt.clock.now()
    card = done = None
    try:
        with rt.database.transaction() as session:
            first = spend_once(session, who, once, now)
            if first:
                cards = card_service.cards_of(session=session, cipher=rt.cipher, principal=who,
                                              person_id=who.person_id, now=now)
                card = next((c for c in cards if _can_report_lost(c)), None)
                if card is not None:
                    done = card_service.report_lost(session=session, cipher=rt.cipher, principal=who, card_id=card.id,
                                                    command=CardMoveRequest(reason=LOST_REASON), now=now)
    except DomainError as exc:
        return refused(request, exc)
    if not first:
        return message(request, "card_lost_title", "already_done", 409, back="/me/card")
    if card is None:
        return message(request, "card_lost_title", "card_nothing_to_report", 409, back="/me/card")
    done = done.model_copy(update={"bank_account_masked": card.bank_account_masked})
    return page(request, "citizen/card_lost_done.html", {"card": _shown(done, chosen_language(request))})


@router.get("/me/reminders", response_class=HTMLResponse)
def my_reminders(request: Request, rt: RuntimeDep):
    """Every reminder and notice sent to the person: comparison cases' reminders (SMS or letter), the yearly proof
    of life, the transfers' steps. Newest first."""
    who, away = insured_login(request)
    if away:
        return away
    english = chosen_language(request) == "en"
    with rt.database.transaction() as session:
        sent = outbox.messages_to_person(session=session, person_id=who.person_id)
        proofs = receivers.certification_reminders_of(session=session, person_id=who.person_id)
        notices = transfers.notices_to_person(session=session, person_id=who.person_id)
    items = [{"on": m.created_at.date(), "kind": "reminder_kind_case",
              "channel": outbox.CHANNELS.get(m.channel, (m.channel, m.channel))[int(english)],
              "status": outbox.STATUSES.get(m.status, (m.status, m.status))[int(english)],
              "text": m.body_en if english else m.body_zh} for m in sent]
    items += [{"on": r["sent_on"], "kind": "reminder_kind_certification", "channel": None, "status": None,
               "text": None, "certified_on": r["certified_on"]} for r in proofs]
    items += [{"on": n["at"].date(), "kind": "reminder_kind_transfer", "channel": None, "status": None,
               "text": n["text_en"] if english else n["text"]} for n in notices]
    items.sort(key=lambda item: item["on"], reverse=True)
    return page(request, "citizen/reminders.html", {"items": items})
