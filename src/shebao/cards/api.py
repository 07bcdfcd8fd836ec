"""Card HTTP API: apply, issue on the spot, activate, report lost, unfreeze, replace, cancel, read."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query
from fastapi.responses import PlainTextResponse

from shebao.cards import bank, ecard_service, service
from shebao.cards import batch as production
from shebao.cards.keys import KeyStore
from shebao.cards.schemas import (
    BankAccountBind,
    BatchProgressRead,
    BatchSubmit,
    BlacklistEntryCreate,
    BlacklistEntryRelease,
    CardActivate,
    CardApply,
    CardIssue,
    CardMoveRequest,
    CardRead,
    EcardCodeRead,
    EcardOpen,
    FinancialStatusRead,
    NoticeRead,
    PinCheck,
    PinReset,
)
from shebao.core.errors import InvalidInput
from shebao.core.http import CipherDep, NowDep, PrincipalDep, RuntimeDep, SessionDep
from shebao.core.ids import MAX_BIGINT, RecordIdPath

router = APIRouter(prefix="/api/v1", tags=["cards"])


@router.post("/cards", response_model=CardRead, status_code=201, summary="Apply for a card (one valid card per person)")
def apply_for_card(body: CardApply, session: SessionDep, who: PrincipalDep, now: NowDep):
    return service.apply_for_card(session=session, principal=who, command=body, now=now)


@router.get("/persons/{person_id}/cards", response_model=list[CardRead], summary="A person's cards and their moves")
def cards_of(person_id: RecordIdPath, session: SessionDep, cipher: CipherDep, who: PrincipalDep, now: NowDep):
    return service.cards_of(session=session, cipher=cipher, principal=who, person_id=person_id, now=now)


@router.post("/cards/{card_id}/issue", response_model=CardRead, summary="Issue on the spot at a counter (即时制卡)")
def issue(card_id: RecordIdPath, body: CardIssue, session: SessionDep, cipher: CipherDep, who: PrincipalDep, now: NowDep):
    return service.issue_on_the_spot(session=session, cipher=cipher, principal=who, card_id=card_id, command=body, now=now)


@router.post("/cards/{card_id}/bank-account", response_model=CardRead,
             summary="Bind the card's bank account again (payments the bank returned are paid again into it)")
def bind_bank_account(card_id: RecordIdPath, body: BankAccountBind, session: SessionDep, cipher: CipherDep, who: PrincipalDep,
                      now: NowDep):
    return service.bind_bank_account(session=session, cipher=cipher, principal=who, card_id=card_id, command=body, now=now)


@router.post("/cards/{card_id}/activate", response_model=CardRead, summary="The holder activates the card with a PIN")
def activate(card_id: RecordIdPath, body: CardActivate, session: SessionDep, who: PrincipalDep, now: NowDep):
    return service.activate(session=session, principal=who, card_id=card_id, command=body, now=now)


@router.post("/cards/{card_id}/report-lost", response_model=CardRead, summary="Report lost: every use freezes at once")
def report_lost(card_id: RecordIdPath, body: CardMoveRequest, session: SessionDep, cipher: CipherDep, who: PrincipalDep,
                now: NowDep):
    return service.report_lost(session=session, cipher=cipher, principal=who, card_id=card_id, command=body, now=now)


@router.post("/cards/{card_id}/unfreeze", response_model=CardRead, summary="Found again: the card works again")
def unfreeze(card_id: RecordIdPath, body: CardMoveRequest, session: SessionDep, who: PrincipalDep, now: NowDep):
    return service.unfreeze(session=session, principal=who, card_id=card_id, command=body, now=now)


@router.post("/cards/{card_id}/replace", response_model=CardRead, summary="Replace: the old card ends, a new one is applied for")
def replace(card_id: RecordIdPath, body: CardMoveRequest, session: SessionDep, who: PrincipalDep, now: NowDep):
    return service.replace(session=session, principal=who, card_id=card_id, command=body, now=now)


@router.post("/cards/{card_id}/cancel", response_model=CardRead, summary="Cancel: death, or at the holder's request")
def cancel(card_id: RecordIdPath, body: CardMoveRequest, session: SessionDep, who: PrincipalDep, now: NowDep):
    return service.cancel(session=session, principal=who, card_id=card_id, command=body, now=now)


@router.post("/cards/pin-check", summary="A terminal or bank checks a PIN (three wrong in a row lock it)")
def check_pin(body: PinCheck, session: SessionDep, who: PrincipalDep, now: NowDep) -> dict:
    return service.check_pin(session=session, principal=who, command=body, now=now)


@router.post("/cards/{card_id}/pin", response_model=CardRead, summary="Reset the PIN (counter with identity checked, or online)")
def reset_pin(card_id: RecordIdPath, body: PinReset, session: SessionDep, who: PrincipalDep, now: NowDep):
    return service.reset_pin(session=session, principal=who, card_id=card_id, command=body, now=now)


@router.post("/blacklist", status_code=201, summary="List a person or employer (refused to insure, malicious arrears)")
def list_on_blacklist(body: BlacklistEntryCreate, session: SessionDep, who: PrincipalDep, now: NowDep) -> dict:
    return {"id": bank.list_on_blacklist(session=session, principal=who, command=body, now=now)}


@router.post("/blacklist/{entry_id}/release", status_code=204, summary="Release a listing")
def release_from_blacklist(entry_id: RecordIdPath, body: BlacklistEntryRelease, session: SessionDep, who: PrincipalDep, now: NowDep):
    bank.release_from_blacklist(session=session, principal=who, entry_id=entry_id, command=body, now=now)


@router.get("/bank/cards/{card_number}", response_model=FinancialStatusRead,
            summary="For banks: may the card's financial function be used?")
def financial_status(card_number: str, session: SessionDep, who: PrincipalDep):
    return bank.financial_status(session=session, principal=who, card_number=card_number)


@router.post("/bank/cards/{card_number}/release", response_model=FinancialStatusRead,
             summary="For banks: lift the freeze a loss report put on the card's account (holder seen at the bank)")
def release_bank_freeze(card_number: str, session: SessionDep, who: PrincipalDep, now: NowDep):
    return bank.release_bank_freeze(session=session, principal=who, card_number=card_number, now=now)


@router.get("/bank/notices", response_model=list[NoticeRead], summary="For banks: every freeze and release, in order")
def bank_notices(session: SessionDep, who: PrincipalDep, after: Annotated[int, Query(ge=0, le=MAX_BIGINT)] = 0,
                 limit: Annotated[int, Query(ge=1, le=1000)] = 100):
    return bank.notices(session=session, principal=who, after=after, limit=limit)


@router.post("/ecard/open", summary="Open the electronic card on this device (password again)")
def open_ecard(body: EcardOpen, session: SessionDep, who: PrincipalDep, now: NowDep) -> dict:
    return ecard_service.open_ecard(session=session, principal=who, command=body, now=now)


@router.get("/ecard/code", response_model=EcardCodeRead, summary="A fresh 60-second QR payload for the bound device")
def ecard_code(rt: RuntimeDep, session: SessionDep, who: PrincipalDep, now: NowDep,
               device_id: Annotated[str, Query(min_length=8, max_length=128)]):
    return ecard_service.current_code(session=session, keys=card_keys(rt), principal=who, device_id=device_id, now=now)


@router.get("/ecard/trust", summary="The public trust chain terminals verify codes with")
def ecard_trust(rt: RuntimeDep) -> dict:
    import json

    return json.loads(card_keys(rt).trust().as_json())


def card_keys(rt) -> KeyStore:  # noqa: ANN001 - the app's Runtime
    """One key store per running app, so that an unlocked key is decrypted once."""
    if rt.card_keys is None:
        rt.card_keys = KeyStore(rt.settings.key_dir, rt.settings.key_passphrase)
    return rt.card_keys


@router.post("/cards/{card_id}/hand-out", response_model=CardRead, summary="Hand a made card to its holder")
def hand_out(card_id: RecordIdPath, body: CardMoveRequest, session: SessionDep, who: PrincipalDep, now: NowDep):
    return service.hand_out(session=session, principal=who, card_id=card_id, command=body, now=now)


@router.post("/card-batches", status_code=201, summary="Send a region's waiting applications to the factory")
def submit_batch(body: BatchSubmit, session: SessionDep, who: PrincipalDep, now: NowDep) -> dict:
    batch, _ = production.submit_batch(session=session, principal=who, region_code=body.region_code, now=now)
    return batch.model_dump()


@router.get("/card-batches/{batch_id}", response_model=BatchProgressRead, summary="Made, handed out, not collected")
def batch_progress(batch_id: RecordIdPath, session: SessionDep, who: PrincipalDep):
    return production.progress(session=session, principal=who, batch_id=batch_id)


@router.get("/card-batches/{batch_id}/manifest", response_class=PlainTextResponse, summary="The manifest for the factory (CSV)")
def batch_manifest(batch_id: RecordIdPath, session: SessionDep, who: PrincipalDep):
    return production.manifest_of(session=session, principal=who, batch_id=batch_id)


@router.post("/card-batches/{batch_id}/return", response_model=BatchProgressRead,
             summary="The factory's return file (CSV: card_id,card_number,chip_serial,bank_code,bank_account)")
def batch_return(batch_id: RecordIdPath, body: Annotated[bytes, Body(media_type="text/csv")], session: SessionDep,
                 cipher: CipherDep, who: PrincipalDep, now: NowDep):
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput("batch.return_encoding", "回盘文件须为 UTF-8 编码", "the return file is not UTF-8") from None
    return production.record_factory_return(session=session, cipher=cipher, principal=who, batch_id=batch_id,
                                            csv_text=text, now=now)
