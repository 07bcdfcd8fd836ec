"""Importing other departments' registries: a file of one kind (CSV in UTF-8 or GBK, or Parquet; plain, gzip or a
one-member zip) is checked against the checksum its sender declared, read as a stream under ceilings (`files.py`),
every row checked against the kind's declared columns and loaded in chunks inside one transaction, the bad rows
reported with their row number and reason, and the import recorded (source, time, counts, checksum, match rate).
A file imported before (the same bytes) is refused; any refusal while loading — a bomb, a cut file, a wrong key —
rolls the transaction back and leaves nothing behind.

A hashed file (`--hmac-key-file`) carries HMAC-SHA256 of each number under a key agreed with the other department.
Each hash that is one of our persons' is translated to our own keyed hash (`persons.id_number_hash`) so that the
comparison matches hashed and plain imports alike; the others keep the exchange's hash, marked (`rules.exchange_mark`).
A hashed file of a kind that should mostly match, matching almost none of ours, was hashed under another key and is
refused (`exchange.hmac_key_mismatch`; thresholds in policy/parameters/national/exchange.yaml)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Column, MetaData, String, Table, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shebao.comparison import files, rules
from shebao.comparison.models import TABLES, ExchangeImport
from shebao.core import audit
from shebao.core.clock import china_today, utc_naive
from shebao.core.db import Database
from shebao.core.errors import Conflict, InvalidInput
from shebao.core.security import FieldCipher
from shebao.policy.store import NATIONAL, default_store
from shebao.registry.divisions import all_divisions
from shebao.registry.models import Employer, Person

MAX_REJECTED_SHOWN = 1_000
CHUNK = 50_000
PERSONS_CHUNK = 20_000  # persons decrypted and hashed under the exchange key at a time
MIN_KEY_BYTES, MAX_KEY_BYTES = 16, 4_096

Progress = Callable[[str, int, int], None]
Row = tuple[int, dict[str, str], rules.RowProblem | None, str | None]  # row number, cells, a problem, how it is cut

# Our keyed hash of each exchange hash that is one of our persons', for one UPDATE … FROM (created and dropped inside
# the import's transaction, never in the schema).
_KEY_MAP = Table("exchange_key_map", MetaData(), Column("exchange", String(64), primary_key=True),
                 Column("ours", String(64), nullable=False), prefixes=["TEMPORARY"])


def read_key_file(path: Path) -> bytes:
    """The exchange key agreed with the other department: the file's bytes, surrounding blanks stripped."""
    try:
        with path.open("rb") as file:
            key = file.read(MAX_KEY_BYTES + 1).strip()
    except OSError as exc:
        raise InvalidInput("exchange.key_unreadable", "无法读取密钥文件", f"cannot read the key file: {exc.strerror}") from None
    if len(key) > MAX_KEY_BYTES:
        raise InvalidInput("exchange.key_form", f"密钥文件过长（至多 {MAX_KEY_BYTES} 字节）：请检查是否选错了文件",
                           f"the key file is too long ({MAX_KEY_BYTES} bytes at most): is it the right file?")
    if len(key) < MIN_KEY_BYTES:
        raise InvalidInput("exchange.key_form", f"密钥过短（至少 {MIN_KEY_BYTES} 字节）",
                           f"the key is too short ({MIN_KEY_BYTES} bytes at least)")
    return key


def import_file(*, database: Database, cipher: FieldCipher, kind: str, path: Path, file_format: str = "csv",
                hmac_key: bytes | None = None, sha256: str | None = None, actor: str, now: datetime,
                progress: Progress | None = None, chunk: int = CHUNK) -> dict:
    """Loads one registry file of `kind`; returns the import's record, its match rate and the rejected rows.
    `sha256` is the checksum the sender declared (a sidecar FILE.sha256 is honoured as well)."""
    if kind not in rules.KINDS:
        raise InvalidInput("exchange.kind", f"没有这类数据：「{kind}」（可选 {'、'.join(rules.KINDS)}）",
                           f"no such kind: {kind!r} (one of {', '.join(rules.KINDS)})", kind=kind)
    if file_format not in ("csv", "parquet"):
        raise InvalidInput("exchange.format", "格式应为逗号分隔文本或列式存储文件", "the format is csv or parquet")
    size = files.regular_file(path)
    before = path.stat().st_mtime_ns
    declared = files.declared_checksums(path, sha256)
    checksum = files.sha256_of(path, size, progress)
    _check_declared(checksum, declared)
    with database.unit_of_work() as uow:
        earlier = uow.session.scalar(select(ExchangeImport.id).where(ExchangeImport.checksum == checksum))
    if earlier is not None:
        raise _already_imported(earlier)
    payload = files.open_payload(path, size)
    today = china_today(now)
    context = rules.Context(today=today, hashed=hmac_key is not None, regions=frozenset(all_divisions()))
    fingerprint = hashlib.sha256(hmac_key).hexdigest()[:16] if hmac_key is not None else None
    with _rows(payload, file_format, kind, progress) as (rows, total, encoding), database.transaction() as session:
        record = ExchangeImport(kind=kind, source=path.name[:200], checksum=checksum, file_format=file_format,
                                encoding=encoding, hash_key_fingerprint=fingerprint, rows_read=0, rows_loaded=0,
                                rows_rejected=0, imported_by=actor, imported_at=utc_naive(now))
        session.add(record)
        try:
            session.flush()
        except IntegrityError:
            raise _already_imported(None) from None  # the same file, imported at this moment by someone else
        loaded = _load(session, kind, record.id, rows, total, context, cipher, chunk, progress)
        if not loaded.read:
            raise InvalidInput("exchange.empty", "文件只有表头，没有数据", "the file has its header but no rows")
        if not loaded.loaded:
            raise InvalidInput("exchange.nothing_loaded", f"{loaded.rejected} 行全部有误，未导入任何数据",
                               f"all {loaded.rejected} rows were rejected; nothing was imported",
                               rejected=loaded.shown)
        if hmac_key is not None:
            _translate(session, kind, record.id, loaded.exchange_hashes, cipher, hmac_key, progress)
        matched = _matched(session, kind, record.id)
        if hmac_key is not None:
            key_check = default_store().at(NATIONAL, today)
            rules.check_key(kind, rows=loaded.loaded, matched=matched,
                            min_rows=key_check.value("exchange.key_check.min_rows"),
                            floor=key_check.value("exchange.key_check.match_floor"))
        if files.regular_file(path) != size or path.stat().st_mtime_ns != before:
            raise InvalidInput("exchange.changed", "导入过程中文件被改动，未导入：请在文件写完后再导入",
                               "the file changed while it was being imported; nothing was imported")
        record.rows_read, record.rows_loaded, record.rows_rejected = loaded.read, loaded.loaded, loaded.rejected
        rate = rules.match_rate(matched, loaded.loaded)
        audit.append(session, actor=actor, action="exchange.imported", subject=f"exchange:{record.id}", now=now,
                     kind=kind, source=record.source, checksum=checksum, container=payload.container,
                     member=payload.member, loaded=loaded.loaded, rejected=loaded.rejected, matched=matched,
                     match_rate=str(rate), checksum_declared=sorted(declared))
        import_id = record.id
    zh, en = rules.KIND_NAMES[kind]
    return {"import_id": import_id, "kind": kind, "kind_zh": zh, "kind_en": en, "source": path.name,
            "checksum": checksum, "checksum_declared": sorted(declared), "format": file_format,
            "container": payload.container, "member": payload.member, "encoding": encoding,
            "hashed": hmac_key is not None, "rows_read": loaded.read, "rows_loaded": loaded.loaded,
            "rows_rejected": loaded.rejected, "rows_matched": matched, "match_rate": str(rate),
            "rejected": loaded.shown}


def _check_declared(checksum: str, declared: dict[str, str]) -> None:
    names = {"option": ("「--sha256」", "--sha256"), "sidecar": ("校验文件", "the .sha256 file")}
    for where, value in declared.items():
        if value != checksum:
            zh, en = names[where]
            raise InvalidInput("exchange.checksum_mismatch", f"文件的校验值与{zh}声明的不符：文件可能不完整或被改动，未导入",
                               f"the file's SHA-256 is not the one {en} declares: the file is incomplete or altered; "
                               "nothing was imported", checksum=checksum, declared=value, declared_by=where)


def _already_imported(earlier: int | None) -> Conflict:
    if earlier is None:
        return Conflict("exchange.already_imported", "同一文件已导入，不再重复导入",
                        "the same file was imported already; nothing is imported twice")
    return Conflict("exchange.already_imported", f"同一文件已于导入 {earlier} 导入，不再重复导入",
                    f"the same file was imported already (import {earlier}); nothing is imported twice", import_id=earlier)


@contextmanager
def _rows(payload: files.Payload, file_format: str, kind: str,
          progress: Progress | None) -> Iterator[tuple[Iterator[Row], int, str]]:
    """The file's data rows (its header checked against the kind's columns), about how many there are, and how the
    file was read. The rows are read as they are consumed: a refusal comes while loading."""
    if file_format == "parquet":
        with files.parquet_file(payload) as parquet:
            names = parquet.schema_arrow.names
            rules.check_header(kind, names)
            yield ((index + 2, {name.strip(): value for name, value in cells.items()}, None, None)
                   for index, cells in enumerate(files.parquet_rows(parquet, names))), parquet.metadata.num_rows, "parquet"
        return
    text = files.scan_text(payload, progress)
    records = files.csv_records(payload, text.encoding)
    try:
        header = next(records, None)
        if header is None or not any(cell.strip() for cell in header.cells):
            raise InvalidInput("exchange.empty", "文件是空的", "the file is empty")
        rules.check_header(kind, header.cells)
        columns = [cell.strip() for cell in header.cells]


        def data() -> Iterator[Row]:
            for record in records:
                if not any(cell.strip() for cell in record.cells):
                    continue  # a blank line (the last newline, a spreadsheet's empty row)
                problem = None if len(record.cells) == len(columns) else rules.RowProblem(
                    f"有 {len(record.cells)} 个单元格，与表头列数不符", f"{len(record.cells)} cells, not as many as the header's columns")
                yield record.row, dict(zip(columns, record.cells, strict=False)), problem, record.cut

        yield data(), max(text.lines - 1, 1), text.encoding
    finally:
        records.close()  # the file, closed whether the rows were all read or a refusal stopped them


@dataclass
class _Loaded:
    read: int = 0
    loaded: int = 0
    rejected: int = 0
    shown: list[dict] = field(default_factory=list)  # the first MAX_REJECTED_SHOWN rejected rows
    exchange_hashes: set[bytes] = field(default_factory=set)  # a hashed file's hashes (their first 31 bytes)


def _load(session: Session, kind: str, import_id: int, rows: Iterator[Row], total: int, context: rules.Context,
          cipher: FieldCipher, chunk: int, progress: Progress | None) -> _Loaded:
    """Checks each row and inserts the good ones in chunks; counts and reports the bad ones. Row numbers count the
    header as row 1, as a spreadsheet shows them. A row repeated is known by a 16-byte digest of its values."""
    table = TABLES[kind].__table__
    loaded, pending, seen = _Loaded(), [], {}

    def reject(number: int, zh: str, en: str) -> None:
        loaded.rejected += 1
        if len(loaded.shown) < MAX_REJECTED_SHOWN:
            loaded.shown.append({"row": number, "reason": zh, "reason_en": en})

    def flush() -> None:
        if pending:
            session.execute(insert(table), pending)
            pending.clear()
        if progress:
            progress("loading", loaded.read, max(total, loaded.read))

    for number, raw, problem, cut in rows:
        loaded.read += 1
        try:
            if cut == "quote":
                raise rules.RowProblem("文件在引号内结束：本行被截断", "the file ends inside a quoted value: the row is cut short")
            if problem is not None:
                raise problem
            clean = rules.check_row(kind, raw, context)
        except rules.RowProblem as bad:
            if cut == "line":
                reject(number, f"{bad.zh}（文件在本行中途结束，可能被截断）", f"{bad.en} (the file ends in the middle of this row: cut short?)")
            else:
                reject(number, bad.zh, bad.en)
            continue
        if "id_number" in clean:
            number_or_hash = str(clean.pop("id_number"))
            if context.hashed:
                loaded.exchange_hashes.add(bytes.fromhex(number_or_hash[:62]))
                clean["id_hash"] = rules.exchange_mark(number_or_hash)
            else:
                clean["id_hash"] = cipher.lookup_hash(number_or_hash)
        key = hashlib.blake2b("\x1f".join(f"{k}={clean[k]}" for k in sorted(clean)).encode(), digest_size=16).digest()
        if key in seen:
            reject(number, f"与第 {seen[key]} 行重复", f"a duplicate of row {seen[key]}")
            continue
        seen[key] = number
        pending.append(clean | {"import_id": import_id})
        loaded.loaded += 1
        if len(pending) >= chunk:
            flush()
    flush()
    return loaded


def _translate(session: Session, kind: str, import_id: int, exchange_hashes: set[bytes], cipher: FieldCipher,
               key: bytes, progress: Progress | None) -> None:
    """Each of the import's exchange hashes that is one of our persons' becomes our keyed hash: every person's number
    decrypted and hashed under the exchange key, a chunk at a time (the cost of a hashed import, proportional to our
    register), then one UPDATE … FROM for all the rows that matched."""
    if not exchange_hashes:
        return
    exchange_mac = hmac.new(key, digestmod=hashlib.sha256)
    pairs, done, last = [], 0, 0
    total = session.scalar(select(func.count()).select_from(Person)) or 0
    while True:
        batch = session.execute(select(Person.id, Person.id_number_hash, Person.id_number_enc).where(Person.id > last)
                                .order_by(Person.id).limit(PERSONS_CHUNK)).all()
        if not batch:
            break
        for _, ours, encrypted in batch:
            mac = exchange_mac.copy()
            mac.update(cipher.decrypt("id_number", bytes(encrypted)).encode())
            digest = mac.digest()[:31]
            if digest in exchange_hashes:
                pairs.append({"exchange": rules.EXCHANGE_MARK + digest.hex(), "ours": ours})
        last, done = batch[-1][0], done + len(batch)
        if progress:
            progress("matching", done, max(total, done))
    if not pairs:
        return
    connection = session.connection()
    _KEY_MAP.drop(connection, checkfirst=True)
    _KEY_MAP.create(connection)
    for start in range(0, len(pairs), CHUNK):
        session.execute(insert(_KEY_MAP), pairs[start:start + CHUNK])
    table = TABLES[kind].__table__
    session.execute(update(table).where(table.c.import_id == import_id, table.c.id_hash == _KEY_MAP.c.exchange)
                    .values(id_hash=_KEY_MAP.c.ours))
    _KEY_MAP.drop(connection)


def _matched(session: Session, kind: str, import_id: int) -> int:
    """The import's rows that are one of ours: a person by keyed hash, or an employer by credit code."""
    table: Any = TABLES[kind].__table__
    ours = (table.c.uscc.in_(select(Employer.uscc)) if kind == "enterprises"
            else table.c.id_hash.in_(select(Person.id_number_hash)))
    return session.scalar(select(func.count()).select_from(table).where(table.c.import_id == import_id, ours)) or 0
