"""Batch production: an agency sends its region's applications to the card factory as one batch with a
manifest, the factory's return file gives each card its number, chip and bank account (all rows or
none), and cards are then handed out one by one; the batch shows made / handed out / not collected.
"""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import date, datetime

from sqlalchemy import func, insert, literal, select, update
from sqlalchemy.orm import Session

from shebao.cards import rules
from shebao.cards.models import Card, CardEvent, ProductionBatch
from shebao.cards.rules import CardState
from shebao.cards.schemas import BatchProgressRead
from shebao.core import audit
from shebao.core.clock import china_today, utc_naive
from shebao.core.errors import Conflict, InvalidInput, NotFound, not_in_scope
from shebao.core.regions import province_of, region_prefix
from shebao.core.security import FieldCipher, Principal, Role
from shebao.policy.store import default_store
from shebao.registry import service as registry
from shebao.registry.models import Person
from shebao.registry.rules import masked_name

RETURN_COLUMNS = ("card_id", "card_number", "chip_serial", "bank_code", "bank_account")


def submit_batch(*, session: Session, principal: Principal, region_code: str, now: datetime) -> tuple[BatchProgressRead, str]:
    """Every application waiting in a region goes to production together; returns the manifest CSV."""
    principal.require_role(Role.STAFF, Role.ADMIN)
    region = registry.require_current_region(session=session, code=region_code, field="region_code", min_level=1)
    principal.require_region(region.code)
    waiting = (Card.state == CardState.APPLIED.value,
               Card.applied_region.startswith(region_prefix(region.code), autoescape=True))
    count = session.scalar(select(func.count()).select_from(Card).where(*waiting))
    if not count:
        raise NotFound("batch.nothing_to_make", f"{region.code} 没有待制卡的申请", f"no applications waiting in {region.code}")
    stamp = utc_naive(now)
    batch = ProductionBatch(region_code=region.code, province=province_of(region.code), cards=count, manifest_sha256="",
                            submitted_by=principal.actor, submitted_at=stamp)
    session.add(batch)
    session.flush()
    session.execute(update(Card).where(*waiting).values(state=CardState.IN_PRODUCTION.value, batch_id=batch.id,
                                                        updated_at=stamp).execution_options(synchronize_session=False))
    session.execute(insert(CardEvent).from_select(
        ["card_id", "move", "from_state", "to_state", "actor", "region_code", "reason", "at"],
        select(Card.id, literal("send_to_production"), literal("applied"), literal("in_production"), literal(principal.actor),
               literal(region.code), literal(f"制卡批次 batch {batch.id}"), literal(stamp)).where(Card.batch_id == batch.id)))
    manifest = _manifest(session, batch.id)
    batch.manifest_sha256 = hashlib.sha256(manifest.encode()).hexdigest()
    audit.append(session, actor=principal.actor, action="card.batch_submitted", subject=f"batch:{batch.id}", now=now,
                 region=region.code, cards=count, manifest_sha256=batch.manifest_sha256)
    return progress(session=session, principal=principal, batch_id=batch.id), manifest


def _manifest(session: Session, batch_id: int) -> str:
    """What the factory needs to print: card id, masked number, name, where to deliver."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["card_id", "id_number_masked", "name", "deliver_to"])
    for row in session.execute(select(Card.id, Person.id_number_masked, Person.name, Card.applied_region)
                               .join(Person, Person.id == Card.person_id).where(Card.batch_id == batch_id).order_by(Card.id)):
        writer.writerow(row)
    return out.getvalue()


def record_factory_return(*, session: Session, cipher: FieldCipher, principal: Principal, batch_id: int, csv_text: str,
                          now: datetime) -> BatchProgressRead:
    """The factory's file: every card of the batch gets its number, chip and bank account — all or none."""
    batch = _batch(session, principal, batch_id)
    if batch.returned_at is not None:
        raise Conflict("batch.already_returned", "此批次已回盘", "this batch's return file was already recorded")
    rows, rejected = _validated(session, batch, csv_text)
    if rejected:
        raise InvalidInput("batch.return_rejected", f"{len(rejected)} 行被拒绝，未写入任何数据",
                           f"{len(rejected)} rows rejected; nothing was written", rejected=rejected[:100])
    today = china_today(now)
    years = default_store().at(batch.province, today).value("card.validity_years")
    expiry = date(today.year + years, today.month, min(today.day, 28))
    stamp = utc_naive(now)
    session.execute(update(Card).execution_options(synchronize_session=False), [
        {"id": int(r["card_id"]), "card_number": r["card_number"], "chip_serial": r["chip_serial"],
         "bank_code": r["bank_code"], "bank_account_enc": cipher.encrypt("bank_account", r["bank_account"]),
         "issue_date": today, "expiry_date": expiry, "updated_at": stamp} for r in rows])
    batch.returned_at = stamp
    audit.append(session, actor=principal.actor, action="card.batch_returned", subject=f"batch:{batch.id}", now=now,
                 cards=len(rows))
    return progress(session=session, principal=principal, batch_id=batch.id)


def _validated(session: Session, batch: ProductionBatch, csv_text: str) -> tuple[list[dict], list[dict]]:
    reader = csv.DictReader(io.StringIO(csv_text))
    if reader.fieldnames is None or set(RETURN_COLUMNS) - set(reader.fieldnames):
        raise InvalidInput("batch.return_columns", f"回盘文件的表头须包含这些列：「{','.join(RETURN_COLUMNS)}」",
                           f"the return file needs the columns {','.join(RETURN_COLUMNS)}")
    members = set(session.scalars(select(Card.id).where(Card.batch_id == batch.id,
                                                         Card.state == CardState.IN_PRODUCTION.value)))
    used = set(session.scalars(select(Card.card_number).where(Card.card_number.is_not(None))))
    rows, rejected, seen_cards, seen_numbers = [], [], set(), set()
    for line, row in enumerate(reader, start=2):
        problem = _row_problem(row, batch, members, used, seen_cards, seen_numbers)
        if problem:
            rejected.append({"line": line, "card_id": row.get("card_id"), "problem": problem[1], "reason": problem[0],
                             "reason_en": problem[1]})
            continue
        row["bank_account"] = rules.check_bank_account(row["bank_account"])
        seen_cards.add(int(row["card_id"]))
        seen_numbers.add(row["card_number"])
        rows.append(row)
    missing = members - seen_cards
    if missing and not rejected:
        en = f"{len(missing)} cards of the batch are missing"
        rejected.append({"line": None, "card_id": sorted(missing)[:20], "problem": en,
                         "reason": f"本批次有 {len(missing)} 张卡不在回盘文件中", "reason_en": en})
    return rows, rejected


def _row_problem(row: dict, batch: ProductionBatch, members: set[int], used: set[str], seen_cards: set[int],
                 seen_numbers: set[str]) -> tuple[str, str] | None:
    """What is wrong with one row of a return file, in Chinese and English (None when nothing is)."""
    card_id = (row.get("card_id") or "").strip()
    if not card_id.isdigit() or int(card_id) not in members:
        return "不是本批次待制作的卡", "not a card of this batch waiting for production"
    if int(card_id) in seen_cards:
        return "同一张卡出现了两次", "card appears twice"
    try:
        number = rules.check_card_number(row.get("card_number") or "")
        rules.check_bank_account(row.get("bank_account") or "")
    except InvalidInput as exc:
        return exc.reason, exc.reason_en
    if number[:2] != batch.province[:2]:
        return (f"卡号 {number} 不属于签发省份 {batch.province}",
                f"card number {number} does not belong to {batch.province}")
    if number in used or number in seen_numbers:
        return f"卡号 {number} 已被使用", f"card number {number} is already in use"
    chip, bank = row.get("chip_serial") or "", row.get("bank_code") or ""
    if not (4 <= len(chip) <= 32 and all(c in "0123456789ABCDEF" for c in chip)):
        return "芯片序列号应为4至32位十六进制字符", "the chip serial is 4 to 32 hexadecimal characters"
    if not (3 <= len(bank) <= 12 and bank.isalnum() and bank.upper() == bank):
        return "银行代码应为3至12位大写字母或数字", "the bank code is 3 to 12 capital letters or digits"
    return None


def progress(*, session: Session, principal: Principal, batch_id: int) -> BatchProgressRead:
    """How far a batch has come: made, handed out, not yet collected."""
    batch = _batch(session, principal, batch_id, reading=True)
    counts = dict(session.execute(select(Card.state, func.count()).where(Card.batch_id == batch.id).group_by(Card.state)).all())
    made = session.scalar(select(func.count()).select_from(Card).where(Card.batch_id == batch.id, Card.card_number.is_not(None)))
    not_collected = session.scalar(select(func.count()).select_from(Card).where(
        Card.batch_id == batch.id, Card.card_number.is_not(None), Card.state == CardState.IN_PRODUCTION.value))
    handed = sum(n for state, n in counts.items() if state not in (CardState.IN_PRODUCTION.value, CardState.CANCELLED.value))
    return BatchProgressRead(id=batch.id, region_code=batch.region_code, cards=batch.cards, made=made or 0, handed_out=handed,
                         not_collected=not_collected or 0, cancelled=counts.get(CardState.CANCELLED.value, 0),
                         manifest_sha256=batch.manifest_sha256)


def manifest_of(*, session: Session, principal: Principal, batch_id: int) -> str:
    return _manifest(session, _batch(session, principal, batch_id).id)


def _batch(session: Session, principal: Principal, batch_id: int, *, reading: bool = False) -> ProductionBatch:
    principal.require_role(*((Role.STAFF, Role.ADMIN, Role.AUDITOR) if reading else (Role.STAFF, Role.ADMIN)))
    batch = session.get(ProductionBatch, batch_id)
    if batch is None or not principal.serves(batch.region_code):
        raise not_in_scope("制卡批次", "card batch")
    return batch


# ---------------------------------------------------------------- the staff console's view of batches

LISTED_MAX = 200  # batches or waiting cards listed at most in one answer


def list_batches(*, session: Session, principal: Principal, region: str, limit: int = 50) -> list[dict]:
    """A region's production batches, newest first, each with how far it has come (one grouped count for all)."""
    principal.require_role(Role.STAFF, Role.ADMIN, Role.AUDITOR)
    principal.require_region(region)
    batches = session.scalars(select(ProductionBatch)
                              .where(ProductionBatch.region_code.startswith(region_prefix(region), autoescape=True))
                              .order_by(ProductionBatch.id.desc()).limit(min(max(limit, 1), LISTED_MAX))).all()
    counts: dict[int, dict] = {b.id: {} for b in batches}
    if batches:
        for batch_id, state, made, n in session.execute(
                select(Card.batch_id, Card.state, Card.card_number.is_not(None), func.count())
                .where(Card.batch_id.in_(list(counts))).group_by(Card.batch_id, Card.state, Card.card_number.is_not(None))):
            counts[batch_id][(state, bool(made))] = n
    return [_described(b, counts[b.id]) for b in batches]


def describe_batch(*, session: Session, principal: Principal, batch_id: int) -> dict:
    """One batch as the console shows it: its dates and counts, and the cards made and not yet collected (masked
    names and ID numbers only), judged on the batch's region as stored."""
    batch = _batch(session, principal, batch_id, reading=True)
    counts = {(state, bool(made)): n for state, made, n in session.execute(
        select(Card.state, Card.card_number.is_not(None), func.count()).where(Card.batch_id == batch.id)
        .group_by(Card.state, Card.card_number.is_not(None)))}
    waiting = session.execute(
        select(Card.id, Card.card_number, Person.name, Person.id_number_masked).join(Person, Person.id == Card.person_id)
        .where(Card.batch_id == batch.id, Card.card_number.is_not(None), Card.state == CardState.IN_PRODUCTION.value)
        .order_by(Card.id).limit(LISTED_MAX)).all()
    return _described(batch, counts) | {"waiting": [
        {"card_id": card_id, "card_number": number, "name_masked": masked_name(name), "id_number_masked": masked}
        for card_id, number, name, masked in waiting]}


def waiting_applications(*, session: Session, principal: Principal, region: str) -> int:
    """How many applications in a region wait to be sent to the factory."""
    principal.require_role(Role.STAFF, Role.ADMIN, Role.AUDITOR)
    principal.require_region(region)
    return session.scalar(select(func.count()).select_from(Card).where(
        Card.state == CardState.APPLIED.value,
        Card.applied_region.startswith(region_prefix(region), autoescape=True))) or 0


def _described(batch: ProductionBatch, counts: dict[tuple[str, bool], int]) -> dict:
    """A batch's figures from its cards counted by (state, made): made, handed out, not collected, cancelled; and
    where it stands: at the factory, back and being handed out, or every card collected."""
    made = sum(n for (_, is_made), n in counts.items() if is_made)
    not_collected = counts.get((CardState.IN_PRODUCTION.value, True), 0)
    cancelled = sum(n for (state, _), n in counts.items() if state == CardState.CANCELLED.value)
    handed = sum(n for (state, _), n in counts.items()
                 if state not in (CardState.IN_PRODUCTION.value, CardState.CANCELLED.value))
    status = "at_factory" if batch.returned_at is None else "handing_out" if not_collected else "collected"
    return {"id": batch.id, "region_code": batch.region_code, "cards": batch.cards, "made": made, "handed_out": handed,
            "not_collected": not_collected, "cancelled": cancelled, "status": status,
            "submitted_by": batch.submitted_by, "submitted_at": batch.submitted_at, "returned_at": batch.returned_at,
            "manifest_sha256": batch.manifest_sha256}
