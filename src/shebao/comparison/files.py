"""A registry file read as senders ship it, and never more of it than a ceiling allows. No database.

- The file: a regular file of at most MAX_FILE_BYTES; its SHA-256 read as a stream; the checksum the sender
  declared (`--sha256`, or a sidecar `FILE.sha256` as `sha256sum`, `shasum` or `openssl dgst` write it) compared.
- The container, by its first bytes, whatever the name says: plain, gzip (`.gz`, several members allowed) or a zip
  holding one file (`.zip`; folders and macOS's `__MACOSX/` companions aside). A zip with several files, an
  encrypted member, a name that climbs out of its folder (`..`, an absolute path, a drive) or a link is refused, and
  so is an archive inside the archive.
- Decompressed as a stream (1 MB at a time) under two ceilings: MAX_FILE_BYTES uncompressed, and MAX_RATIO times the
  file's size on disk once past RATIO_FROM_BYTES. A bomb (a gigabyte of zeros is a megabyte of gzip) is refused
  once it has expanded to MAX_RATIO times its size (a zip's from its header, before reading), never held: memory
  stays at a chunk.
- A file cut short: gzip or zip ending before its end marker, a Parquet file without its footer, refused
  (`exchange.truncated`); a CSV whose last line has no line end is marked so that its row, if it does not read
  whole, is rejected as cut short.
- CSV text is read line by line with at most MAX_RECORD_CHARS characters to a row: a 2 GB line is refused after
  16,384 characters, never read whole; a value over MAX_FIELD_CHARS refuses the file (no declared value is longer).
- Parquet is read a batch of rows at a time; a row group whose column would expand past MAX_PARQUET_COLUMN_BYTES, a
  file whose pages expand past the ceilings, or one declaring more rows than it has bytes (one row repeated by
  run-length encoding) is refused from its footer, before a row is read.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import hashlib
import io
import lzma
import re
import shutil
import stat
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any

from shebao.core.errors import InvalidInput

MAX_FILE_BYTES = 2 * 2**30  # a registry file of a province's population fits; a larger one is split by the sender
MAX_RATIO = 100  # registry CSV compresses 3 to 10 times (ID numbers and names do not repeat); a bomb a thousand times
RATIO_FROM_BYTES = 16 * 2**20  # below this any ratio passes: a small file of repeated values is no threat
MAX_FIELD_CHARS = 1_000  # no declared value is longer: a longer one is a broken or hostile file
MAX_RECORD_CHARS = 16_384  # a row of the widest kind at its longest values (quotes doubled) stays under 15,000
MAX_PARQUET_COLUMN_BYTES = 256 * 2**20  # one column of one row group, uncompressed: what reading it holds at once
# Every row carries an ID number, a keyed hash or a credit code, none repeated: it takes bytes of any file, compressed
# or not. A Parquet file declaring more rows than it has bytes repeats one row (run-length encoded) to keep us busy.
ROWS_FROM = 100_000
MAX_SIDECAR_BYTES = 4_096
READ_BYTES = 2**20

GZIP_MAGIC, ZIP_MAGICS, PARQUET_MAGIC = b"\x1f\x8b", (b"PK\x03\x04", b"PK\x05\x06"), b"PAR1"
UTF8_BOM = b"\xef\xbb\xbf"
HEX64 = re.compile(r"(?<![0-9a-fA-F])[0-9a-fA-F]{64}(?![0-9a-fA-F])")
ZIP_METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}
CONTAINER_NAMES = {"gzip": ("压缩文件", "gzip file"), "zip": ("压缩包", "zip file")}

Progress = Callable[[str, int, int], None]


# ---------------------------------------------------------------- the file and its checksum

def regular_file(path: Path) -> int:
    """The file's size; a missing, special or oversized file is refused."""
    try:
        status = path.stat()
    except OSError as exc:
        raise InvalidInput("exchange.unreadable", "无法读取文件", f"cannot read the file: {exc.strerror}") from None
    if not stat.S_ISREG(status.st_mode):
        raise InvalidInput("exchange.unreadable", "不是普通文件（目录、设备或管道不能导入）",
                           "not a regular file (a folder, a device or a pipe cannot be imported)")
    if status.st_size > MAX_FILE_BYTES:
        raise _too_large()
    return status.st_size


def sha256_of(path: Path, size: int, progress: Progress | None = None) -> str:
    digest, done = hashlib.sha256(), 0
    try:
        with path.open("rb") as file:
            while chunk := file.read(READ_BYTES):
                digest.update(chunk)
                done += len(chunk)
                if done > MAX_FILE_BYTES:
                    raise _too_large()
                if progress:
                    progress("checksum", done, max(size, done))
    except OSError as exc:
        raise InvalidInput("exchange.unreadable", "无法读取文件", f"cannot read the file: {exc.strerror}") from None
    return digest.hexdigest()


def declared_checksums(path: Path, given: str | None) -> dict[str, str]:
    """The SHA-256 the sender declared, by where it was declared: `option` (--sha256) and `sidecar` (FILE.sha256)."""
    declared = {}
    if given is not None:
        if not HEX64.fullmatch(given.strip()):
            raise InvalidInput("exchange.checksum_form", "声明的校验值应为 64 位十六进制数字",
                               "the declared checksum is SHA-256 in 64 hex digits")
        declared["option"] = given.strip().lower()
    sidecar = path.with_name(path.name + ".sha256")
    if sidecar.is_file():
        try:
            with sidecar.open("rb") as file:
                text = file.read(MAX_SIDECAR_BYTES + 1).decode("utf-8", errors="replace")
        except OSError as exc:
            raise InvalidInput("exchange.checksum_file", "无法读取校验文件",
                               f"cannot read the checksum file {sidecar.name}: {exc.strerror}") from None
        found = {value.lower() for value in HEX64.findall(text)}
        if len(text) > MAX_SIDECAR_BYTES or len(found) != 1:
            raise InvalidInput("exchange.checksum_file", "校验文件应只含一个 64 位十六进制的校验值",
                               f"the checksum file {sidecar.name} must hold one SHA-256 in 64 hex digits")
        declared["sidecar"] = found.pop()
    return declared


# ---------------------------------------------------------------- the container

@dataclass(frozen=True)
class Payload:
    """What the file carries: the file itself, or the one file inside its gzip or zip."""

    path: Path
    size: int  # bytes on disk
    container: str  # plain | gzip | zip
    member: str | None = None  # the zip member's name

    @contextmanager
    def stream(self) -> Iterator[IO[bytes]]:
        """The payload's bytes from the start, decompressed and bounded by the ceilings (a new stream each time)."""
        with self._opened() as inner, io.BufferedReader(_Bounded(inner, self), buffer_size=READ_BYTES) as stream:
            yield stream

    @contextmanager
    def _opened(self) -> Iterator[IO[bytes]]:
        try:
            if self.container == "zip":
                with zipfile.ZipFile(self.path) as archive, archive.open(self.member) as member:
                    yield member
            elif self.container == "gzip":
                with gzip.open(self.path, "rb") as member:
                    yield member
            else:
                with self.path.open("rb") as member:
                    yield member
        except zipfile.BadZipFile:
            raise _truncated(self.container) from None


class _Bounded(io.RawIOBase):
    """A decompressing stream that counts what it yields and refuses past the ceilings."""

    def __init__(self, inner: IO[bytes], payload: Payload) -> None:
        self._inner, self._payload, self.total = inner, payload, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        try:
            data = self._inner.read(len(buffer))
        except EOFError:
            raise _truncated(self._payload.container) from None
        except (zlib.error, lzma.LZMAError, zipfile.BadZipFile, gzip.BadGzipFile):  # a method is checked before reading
            raise _corrupt(self._payload.container) from None
        except OSError as exc:
            raise InvalidInput("exchange.unreadable", "无法读取文件", f"cannot read the file: {exc.strerror}") from None
        size = len(data)
        buffer[:size] = data
        self.total += size
        if self.total > MAX_FILE_BYTES:
            raise _too_large(compressed=self._payload.container != "plain")
        if (self._payload.container != "plain" and self.total > RATIO_FROM_BYTES
                and self.total > MAX_RATIO * max(self._payload.size, 1)):
            raise _bomb(self._payload.size, self.total)
        return size


def open_payload(path: Path, size: int) -> Payload:
    """The file's container read from its first bytes; a zip's one member checked before a byte of it is read."""
    try:
        with path.open("rb") as file:
            head = file.read(4)
    except OSError as exc:
        raise InvalidInput("exchange.unreadable", "无法读取文件", f"cannot read the file: {exc.strerror}") from None
    if head.startswith(GZIP_MAGIC):
        return Payload(path, size, "gzip")
    if head in ZIP_MAGICS:
        return Payload(path, size, "zip", _zip_member(path, size))
    return Payload(path, size, "plain")


def _zip_member(path: Path, size: int) -> str:
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError):
        raise _truncated("zip") from None
    for entry in entries:
        if _unsafe_name(entry):
            raise InvalidInput("exchange.zip_path", "压缩包内的文件名含有上级目录、绝对路径或链接，不予导入",
                               f"a name in the zip climbs out of its folder or is a link: {entry.filename[:80]!r}")
    files = [e for e in entries if not e.is_dir() and not e.filename.startswith("__MACOSX/")]
    if len(files) != 1:
        raise InvalidInput("exchange.zip_members", f"压缩包应只含一个文件，实含 {len(files)} 个：每个压缩包发送一个文件",
                           f"a zip must hold one file, not {len(files)}: send one file per zip", members=len(files))
    member = files[0]
    if member.flag_bits & 0x1:
        raise InvalidInput("exchange.zip_encrypted", "压缩包内的文件已加密，无法读取：请发送未加密的压缩包，另行约定密钥散列",
                           "the file in the zip is encrypted: send it unencrypted (hash the numbers with an agreed key instead)")
    if member.compress_type not in ZIP_METHODS:
        raise InvalidInput("exchange.zip_method", "压缩包使用了不支持的压缩方法", "the zip uses a compression method that "
                           "cannot be read (stored, deflate, bzip2 or lzma are)", method=member.compress_type)
    if member.file_size > MAX_FILE_BYTES:
        raise _too_large(compressed=True)
    if member.file_size > RATIO_FROM_BYTES and member.file_size > MAX_RATIO * max(size, 1):
        raise _bomb(size, member.file_size)
    return member.filename


def _unsafe_name(entry: zipfile.ZipInfo) -> bool:
    name = entry.filename
    is_link = stat.S_ISLNK(entry.external_attr >> 16)
    parts = PurePosixPath(name.replace("\\", "/")).parts
    return is_link or name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name) is not None or ".." in parts


def _refuse_nested(head: bytes) -> None:
    if head.startswith(GZIP_MAGIC) or head[:4] in ZIP_MAGICS:
        raise InvalidInput("exchange.nested", "压缩文件里又是压缩文件，不予导入：请只压缩一层",
                           "an archive inside the archive: compress the file once")


# ---------------------------------------------------------------- CSV

@dataclass(frozen=True)
class Text:
    encoding: str  # utf-8, utf-8-sig or gbk
    bytes: int  # bytes of the payload, uncompressed
    lines: int  # line ends in it, for the progress of loading its rows


def scan_text(payload: Payload, progress: Progress | None = None) -> Text:
    """One pass over the payload: the ceilings, an archive inside, and its encoding — UTF-8 (with or without BOM) if
    the whole of it is, else GBK; neither is refused."""
    with payload.stream() as stream:
        head = stream.peek(4)[:4]
        _refuse_nested(head)
        if head == PARQUET_MAGIC:
            raise InvalidInput("exchange.format_mismatch", "这是列式存储文件：请指定 「--format parquet」",
                               "this is a Parquet file: give --format parquet")
        bom = head.startswith(UTF8_BOM)
        decoders = {"utf-8-sig": codecs.getincrementaldecoder("utf-8-sig")()} if bom else {
            "utf-8": codecs.getincrementaldecoder("utf-8")(), "gbk": codecs.getincrementaldecoder("gbk")()}
        total = lines = 0
        while True:
            chunk = stream.read(READ_BYTES)
            total += len(chunk)
            lines += chunk.count(b"\n")
            for encoding in list(decoders):
                try:
                    decoders[encoding].decode(chunk, final=not chunk)
                except UnicodeDecodeError:
                    del decoders[encoding]
            if not decoders:
                break
            if not chunk:
                break
            if progress:
                progress("reading", total, max(total, payload.size))
    if not decoders:
        if bom:
            raise InvalidInput("exchange.encoding", "文件带有统一码的字节顺序标记，内容却不是统一码",
                               "the file starts with a UTF-8 BOM but is not UTF-8")
        raise InvalidInput("exchange.encoding", "文件编码无法识别：只接受统一码和国标汉字编码", "the file is neither UTF-8 nor GBK text")
    encoding = next(iter(decoders))  # utf-8 before gbk
    return Text(encoding, total, lines)


@dataclass
class Record:
    row: int  # as a spreadsheet shows it: the header is row 1
    line: int  # the file's line the row starts on
    cells: list[str]
    cut: str | None = None  # the file ends inside this row without a line end: "line", or "quote" inside a quoted value


def csv_records(payload: Payload, encoding: str) -> Iterator[Record]:
    """The file's rows, the header first, read line by line; a line too long, a value too long or text that is not in
    the encoding refuses the file (raised while iterating: the caller's transaction undoes what it loaded)."""
    with payload.stream() as stream:
        text = io.TextIOWrapper(stream, encoding=encoding, newline="")
        lines = _Lines(text)
        reader = csv.reader(lines)
        previous: tuple[Record, str] | None = None
        row = 0
        try:
            for cells in reader:
                row += 1
                raw, line = lines.take()
                if any(len(cell) > MAX_FIELD_CHARS for cell in cells):
                    raise InvalidInput("exchange.unreadable_row", f"第 {line} 行有超过 {MAX_FIELD_CHARS} 个字符的单元格，整个文件未导入",
                                       f"line {line} holds a value longer than {MAX_FIELD_CHARS} characters; nothing "
                                       "was imported", line=line)
                if previous is not None:
                    yield previous[0]
                previous = (Record(row, line, cells), raw)
        except csv.Error as exc:
            raise InvalidInput("exchange.unreadable_row", f"第 {lines.number} 行无法解析，整个文件未导入",
                               f"line {lines.number} cannot be read ({exc}); nothing was imported", line=lines.number) from None
        except UnicodeDecodeError:
            raise InvalidInput("exchange.encoding", f"第 {lines.number + 1} 行附近的内容不是所识别的编码，整个文件未导入",
                               f"near line {lines.number + 1} the text is not {encoding}; nothing was imported",
                               line=lines.number + 1) from None
        if previous is not None:
            record, raw = previous
            if not lines.terminated:
                record.cut = "quote" if _inside_quote(raw) else "line"
            yield record


class _Lines:
    """The text's lines for the csv reader, each read with a limit: a row never grows past MAX_RECORD_CHARS."""

    def __init__(self, text: IO[str]) -> None:
        self._text, self._pending, self._pending_chars = text, [], 0
        self.number, self.terminated, self._start = 0, True, 1

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = self._text.readline(MAX_RECORD_CHARS + 1 - self._pending_chars)
        if not line:
            raise StopIteration
        if not self._pending:
            self._start = self.number + 1
        self.number += 1
        self._pending.append(line)
        self._pending_chars += len(line)
        self.terminated = line.endswith(("\n", "\r"))
        if self._pending_chars > MAX_RECORD_CHARS:
            raise InvalidInput("exchange.line_too_long",
                               f"第 {self._start} 行超过 {MAX_RECORD_CHARS} 个字符（或引号未闭合），整个文件未导入",
                               f"the row from line {self._start} runs past {MAX_RECORD_CHARS} characters (a broken line "
                               "or an unclosed quote); nothing was imported", line=self._start)
        return line

    def take(self) -> tuple[str, int]:
        """The raw text of the row just read and the line it started on."""
        raw, start = "".join(self._pending), self._start
        self._pending, self._pending_chars = [], 0
        return raw, start


def _inside_quote(raw: str) -> bool:
    """The row's text ends inside a quoted value: it reads strictly once the quote is closed, not before."""
    def reads(text: str) -> bool:
        try:
            list(csv.reader(io.StringIO(text, newline=""), strict=True))
            return True
        except csv.Error:
            return False
    return not reads(raw) and reads(raw + '"')


# ---------------------------------------------------------------- Parquet

@contextmanager
def parquet_file(payload: Payload) -> Iterator[Any]:
    """The payload as a pyarrow ParquetFile, its metadata checked against the ceilings; a compressed one is first
    expanded into a temporary file (bounded), as Parquet is read from its end."""
    import pyarrow.parquet as pq

    with tempfile.TemporaryFile() as scratch:
        if payload.container == "plain":
            source: Any = payload.path
            with payload.path.open("rb") as file:
                head = file.read(4)
                file.seek(max(payload.size - 4, 0))
                tail = file.read(4)
        else:
            with payload.stream() as stream:
                _refuse_nested(stream.peek(4)[:4])
                shutil.copyfileobj(stream, scratch, READ_BYTES)
            expanded = scratch.tell()
            scratch.seek(0)
            head = scratch.read(4)
            scratch.seek(max(expanded - 4, 0))
            tail = scratch.read(4)
            scratch.seek(0)
            source = scratch
        if head != PARQUET_MAGIC:
            raise InvalidInput("exchange.not_parquet", "文件不是列式存储文件", "the file is not Parquet")
        if tail != PARQUET_MAGIC:
            raise _truncated("parquet")
        try:
            parquet = pq.ParquetFile(source)
        except Exception as exc:  # noqa: BLE001 - pyarrow raises many kinds for a file that is not Parquet
            raise InvalidInput("exchange.not_parquet", "文件不是可读的列式存储文件",
                               f"the file is not readable Parquet: {type(exc).__name__}") from None
        _check_parquet(parquet.metadata, payload.size)
        yield parquet


def _check_parquet(metadata: Any, size: int) -> None:
    if metadata.num_rows > ROWS_FROM and metadata.num_rows > size:
        raise InvalidInput("exchange.bomb", f"文件声称有 {metadata.num_rows} 行，却只有 {size} 字节（疑似压缩炸弹），未导入任何数据",
                           f"the file claims {metadata.num_rows} rows in {size} bytes (a decompression bomb); nothing "
                           "was imported", size=size, rows=metadata.num_rows)
    total = 0
    for group in range(metadata.num_row_groups):
        row_group = metadata.row_group(group)
        total += row_group.total_byte_size
        for column in range(row_group.num_columns):
            if row_group.column(column).total_uncompressed_size > MAX_PARQUET_COLUMN_BYTES:
                raise InvalidInput("exchange.parquet_row_group", "列式存储文件的行组过大：请按每组不超过一百万行写出",
                                   f"a row group's column expands past {MAX_PARQUET_COLUMN_BYTES // 2**20} MB: write "
                                   "row groups of at most 1,000,000 rows")
    if total > MAX_FILE_BYTES:
        raise _too_large(compressed=True)
    if total > RATIO_FROM_BYTES and total > MAX_RATIO * max(size, 1):
        raise _bomb(size, total)


def parquet_rows(parquet: Any, columns: list[str], batch: int = 10_000) -> Iterator[dict[str, str]]:
    """The rows as text cells, one batch at a time."""
    try:
        for record_batch in parquet.iter_batches(batch_size=batch, columns=columns):
            for row in record_batch.to_pylist():
                yield {column: "" if value is None else str(value) for column, value in row.items()}
    except InvalidInput:
        raise
    except Exception as exc:  # noqa: BLE001 - a damaged page: pyarrow raises OSError, ArrowInvalid and others
        raise InvalidInput("exchange.corrupt", "列式存储文件已损坏，整个文件未导入",
                           f"the Parquet file is damaged ({type(exc).__name__}); nothing was imported") from None


# ---------------------------------------------------------------- refusals

def _too_large(*, compressed: bool = False) -> InvalidInput:
    limit = MAX_FILE_BYTES / 2**30
    if compressed:
        return InvalidInput("exchange.too_large", f"解压后超过 {limit:g} 吉字节：请分成多个文件发送",
                            f"the file expands past {limit:g} GB: send it in parts")
    return InvalidInput("exchange.too_large", f"文件超过 {limit:g} 吉字节：请分成多个文件发送",
                        f"the file is larger than {limit:g} GB: send it in parts")


def _bomb(size: int, expanded: int) -> InvalidInput:
    return InvalidInput("exchange.bomb", f"压缩比超过 {MAX_RATIO} 倍（疑似压缩炸弹），已停止解压，未导入任何数据",
                        f"the file expands more than {MAX_RATIO} times its size (a decompression bomb); stopped, "
                        "nothing was imported", size=size, expanded_at_least=expanded)


def _truncated(container: str) -> InvalidInput:
    if container == "parquet":
        return InvalidInput("exchange.truncated", "列式存储文件不完整（缺少文件尾），整个文件未导入",
                            "the Parquet file is cut short (its footer is missing); nothing was imported")
    zh, en = CONTAINER_NAMES.get(container, CONTAINER_NAMES["zip"])
    return InvalidInput("exchange.truncated", f"{zh}不完整（被截断或已损坏），整个文件未导入",
                        f"the {en} is cut short or damaged; nothing was imported")


def _corrupt(container: str) -> InvalidInput:
    zh, en = CONTAINER_NAMES.get(container, CONTAINER_NAMES["zip"])
    return InvalidInput("exchange.corrupt", f"{zh}已损坏（校验不符），整个文件未导入",
                        f"the {en} is damaged (its check does not match); nothing was imported")
