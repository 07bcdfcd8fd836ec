"""Importing other departments' registries: a file of one kind is read (CSV in UTF-8 or GBK, or Parquet), every row
checked against the kind's declared columns, the good rows loaded in chunks in one transaction, the bad ones reported
with their row number and reason, and the import recorded (source, time, counts, checksum). A file imported before
(the same bytes) is refused; a failure while loading leaves nothing behind."""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from sqlalchemy import insert, select

from shebao.comparison import rules
from shebao.comparison.models import TABLES, ExchangeImport
from shebao.core import audit
from shebao.core.clock import china_today, utc_naive
from shebao.core.db import Database
from shebao.core.errors import Conflict, InvalidInput
from shebao.core.security import FieldCipher
from shebao.registry.divisions import all_divisions

MAX_FILE_BYTES = 2 * 2**30  # a registry file of a province's population fits; a larger one is split by the sender
MAX_FIELD_CHARS = 1_000  # no declared value is longer: a longer "line" is a broken or hostile file
MAX_REJECTED_SHOWN = 1_000
CHUNK = 50_000
csv.field_size_limit(MAX_FIELD_CHARS)

Progress = Callable[[str, int, int], None]


def import_file(*, database: Database, cipher: FieldCipher, kind: str, path: Path, file_format: str = "csv",
                hmac_key: bytes | None = None, actor: str, now: datetime, progress: Progress | None = None,
                chunk: int = CHUNK) -> dict:
    """Loads one registry file of `kind`; returns the import's record and the rejected rows."""
    if kind not in rules.KINDS:
        raise InvalidInput("exchange.kind", f"没有这类数据：「{kind}」（可选 {'、'.join(rules.KINDS)}）",
                           f"no such kind: {kind!r} (one of {', '.join(rules.KINDS)})", kind=kind)
    if file_format not in ("csv", "parquet"):
        raise InvalidInput("exchange.format", "格式应为逗号分隔文本或列式存储文件", "the format is csv or parquet")
    data = _read(path)
    checksum = hashlib.sha256(data).hexdigest()
    with database.unit_of_work() as uow:
        earlier = uow.session.scalar(select(ExchangeImport.id).where(ExchangeImport.checksum == checksum))
    if earlier is not None:
        raise Conflict("exchange.already_imported", f"同一文件已于导入 {earlier} 导入，不再重复导入",
                       f"the same file was imported already (import {earlier}); nothing is imported twice",
                       import_id=earlier)
    raw_rows, encoding = _rows(data, file_format, kind)
    context = rules.Context(today=china_today(now), hashed=hmac_key is not None,
                            regions=frozenset(all_divisions()))
    good, rejected = _checked(kind, raw_rows, context, cipher, progress)
    if not good:
        raise InvalidInput("exchange.nothing_loaded", f"{len(rejected)} 行全部有误，未导入任何数据",
                           f"all {len(rejected)} rows were rejected; nothing was imported",
                           rejected=rejected[:MAX_REJECTED_SHOWN])
    fingerprint = hashlib.sha256(hmac_key).hexdigest()[:16] if hmac_key is not None else None
    with database.transaction() as session:
        record = ExchangeImport(kind=kind, source=path.name[:200], checksum=checksum, file_format=file_format,
                                encoding=encoding, hash_key_fingerprint=fingerprint, rows_read=len(raw_rows),
                                rows_loaded=len(good), rows_rejected=len(rejected), imported_by=actor,
                                imported_at=utc_naive(now))
        session.add(record)
        session.flush()
        table = TABLES[kind].__table__
        for start in range(0, len(good), chunk):
            session.execute(insert(table), [row | {"import_id": record.id} for row in good[start:start + chunk]])
            if progress:
                progress("loading", min(start + chunk, len(good)), len(good))
        audit.append(session, actor=actor, action="exchange.imported", subject=f"exchange:{record.id}", now=now,
                     kind=kind, source=record.source, checksum=checksum, loaded=len(good), rejected=len(rejected))
        import_id = record.id
    zh, en = rules.KIND_NAMES[kind]
    return {"import_id": import_id, "kind": kind, "kind_zh": zh, "kind_en": en, "source": path.name,
            "checksum": checksum, "format": file_format, "encoding": encoding, "hashed": hmac_key is not None,
            "rows_read": len(raw_rows), "rows_loaded": len(good), "rows_rejected": len(rejected),
            "rejected": rejected[:MAX_REJECTED_SHOWN]}


def _read(path: Path) -> bytes:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise InvalidInput("exchange.too_large", "文件过大，请分成多个文件发送",
                               f"the file is larger than {MAX_FILE_BYTES // 2**30} GB: send it in parts")
        return path.read_bytes()
    except OSError as exc:
        raise InvalidInput("exchange.unreadable", "无法读取文件", f"cannot read the file: {exc.strerror}") from None


def _rows(data: bytes, file_format: str, kind: str) -> tuple[list[dict[str, str]], str]:
    """The file's rows as text cells, and how it was read; a header that is not the kind's columns refuses it."""
    if file_format == "parquet":
        return _parquet_rows(data, kind), "parquet"
    text, encoding = rules.decode(data)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if not header:
            raise InvalidInput("exchange.empty", "文件是空的", "the file is empty")
        rules.check_header(kind, header)
        columns = [c.strip() for c in header]
        rows = []
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue  # a blank line (the last newline, a spreadsheet's empty row)
            rows.append(dict(zip(columns, cells, strict=False)) | ({"__cells__": str(len(cells))} if len(cells) != len(columns) else {}))
    except csv.Error as exc:
        raise InvalidInput("exchange.unreadable_row", f"第 {reader.line_num} 行无法解析（单元格过长或引号不配对），整个文件未导入",
                           f"line {reader.line_num} cannot be read ({exc}); nothing was imported", line=reader.line_num) from None
    return rows, encoding


def _parquet_rows(data: bytes, kind: str) -> list[dict[str, str]]:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(io.BytesIO(data))
    except Exception as exc:  # noqa: BLE001 - pyarrow raises many kinds for a file that is not Parquet
        raise InvalidInput("exchange.not_parquet", "文件不是可读的列式存储文件", f"the file is not readable Parquet: "
                           f"{type(exc).__name__}") from None
    rules.check_header(kind, table.column_names)
    return [{column: "" if value is None else str(value) for column, value in row.items()} for row in table.to_pylist()]


def _checked(kind: str, raw_rows: list[dict[str, str]], context: rules.Context, cipher: FieldCipher,
             progress: Progress | None) -> tuple[list[dict], list[dict]]:
    """The good rows ready to insert (ID numbers as keyed hashes) and the rejected ones with row number and reason.
    Row numbers count the header as row 1, as a spreadsheet shows them."""
    good, rejected, seen = [], [], {}
    for index, raw in enumerate(raw_rows):
        number = index + 2
        try:
            if "__cells__" in raw:
                raise rules.RowProblem(f"有 {raw['__cells__']} 个单元格，与表头列数不符",
                                       f"{raw['__cells__']} cells, not as many as the header's columns")
            clean = rules.check_row(kind, raw, context)
        except rules.RowProblem as problem:
            rejected.append({"row": number, "reason": problem.zh, "reason_en": problem.en})
            continue
        if "id_number" in clean:
            number_or_hash = clean.pop("id_number")
            clean["id_hash"] = number_or_hash if context.hashed else cipher.lookup_hash(number_or_hash)
        key = tuple(sorted((k, str(v)) for k, v in clean.items()))
        if key in seen:
            rejected.append({"row": number, "reason": f"与第 {seen[key]} 行重复", "reason_en": f"a duplicate of row {seen[key]}"})
            continue
        seen[key] = number
        good.append(clean)
        if progress and (index + 1) % CHUNK == 0:
            progress("checking", index + 1, len(raw_rows))
    if progress:
        progress("checking", len(raw_rows), len(raw_rows))
    return good, rejected
