"""Files that are not what they claim (issue 14, Bad input), imported on a real database: gzip and zip as senders ship
them, bombs stopped before memory fills, files cut short, a 50 MB line, checksums that do not match, a key that is
not the agreed one. Each is refused with its reason in Chinese and English and nothing written — or, for a row cut
short, that row rejected while the others load."""

import gzip
import hashlib
import hmac
import io
import json
import secrets
import stat
import tracemalloc
import zipfile
import zlib
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from shebao.cli import app
from shebao.comparison import files
from shebao.comparison.models import TABLES, ExchangeImport, ExtDeath
from shebao.comparison.service import import_file
from shebao.core.errors import DomainError
from tests.support import add_test_streets, assert_bilingual, id_number, register

HEADER = "id_number,name,death_date,source"
DEAD = id_number("310115", date(1950, 1, 2), 125)
OTHER = id_number("110105", date(1960, 3, 4), 127)
CSV = f"{HEADER}\n{DEAD},李四,2025-01-03,民政 1\n{OTHER},王五,2025-02-01,民政 2\n".encode()
MB = 2**20


def _import(database, cipher, clock, path, kind="deaths", **extra):
    return import_file(database=database, cipher=cipher, kind=kind, path=path, actor="test", now=clock.now(), **extra)


def _nothing_written(database):
    with database.unit_of_work() as uow:
        assert uow.session.scalar(select(func.count()).select_from(ExchangeImport)) == 0
        for model in TABLES.values():
            assert uow.session.scalar(select(func.count()).select_from(model)) == 0, model.__tablename__


def _refused(database, cipher, clock, path, code, **extra) -> DomainError:
    with pytest.raises(DomainError) as refused:
        _import(database, cipher, clock, path, **extra)
    assert refused.value.code == code, (refused.value.code, refused.value.reason_en)
    assert_bilingual(refused.value.reason, refused.value.reason_en, code)
    _nothing_written(database)
    return refused.value


def _zip(path, members, method=zipfile.ZIP_DEFLATED):
    with zipfile.ZipFile(path, "w", method) as archive:
        for member, data in members.items():
            archive.writestr(member if isinstance(member, zipfile.ZipInfo) else zipfile.ZipInfo(member, (2025, 3, 1, 0, 0, 0)),
                             data, compress_type=method)
    return path


def _parquet_bytes(**columns) -> bytes:
    sink = io.BytesIO()
    pq.write_table(pa.table(columns), sink)
    return sink.getvalue()


# ---------------------------------------------------------------- compressed, as senders ship them

def test_gzip_and_zip_as_senders_ship_them(database, cipher, clock, tmp_path):
    parquet = _parquet_bytes(id_number=[DEAD], name=["李四"], death_date=["2025-01-03"], source=["卫健"])
    shipped = {
        "deaths.csv.gz": (gzip.compress(CSV), "csv", "gzip", None),
        "two-members.csv.gz": (gzip.compress(CSV[:60]) + gzip.compress(CSV[60:]), "csv", "gzip", None),  # as `cat` joins
        "deaths.parquet.gz": (gzip.compress(parquet), "parquet", "gzip", None),
        "windows.zip": (_zip(tmp_path / "w", {"死亡名单.csv": CSV}).read_bytes(), "csv", "zip", "死亡名单.csv"),
        "mac.zip": (_zip(tmp_path / "m", {"out/": b"", "out/deaths.csv": CSV.replace(b"1\n", b"3\n"),
                                          "__MACOSX/out/._deaths.csv": b"\x00\x05\x16\x07"}).read_bytes(),
                    "csv", "zip", "out/deaths.csv"),
        "stored.zip": (_zip(tmp_path / "s", {"d.parquet": parquet}, zipfile.ZIP_STORED).read_bytes(), "parquet", "zip",
                       "d.parquet"),
        "named-wrong.csv": (gzip.compress(CSV.replace(b"2\n", b"4\n")), "csv", "gzip", None),  # read by its bytes
    }
    for name, (data, file_format, container, member) in shipped.items():
        (tmp_path / name).write_bytes(data)
        result = _import(database, cipher, clock, tmp_path / name, file_format=file_format)
        assert (result["container"], result["member"], result["rows_rejected"]) == (container, member, 0), name
        assert result["rows_loaded"] == (1 if file_format == "parquet" else 2), name
        assert result["checksum"] == hashlib.sha256(data).hexdigest()  # the file as received


@pytest.fixture(scope="module")
def bombs(tmp_path_factory):
    """A gigabyte of zeros as gzip (about 1 MB) and as a zip (about 4.5 MB), written a megabyte at a time."""
    folder, zeros = tmp_path_factory.mktemp("bombs"), bytes(MB)
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    with (folder / "zeros.csv.gz").open("wb") as out:
        out.write(compressor.compress(HEADER.encode() + b"\n"))
        for _ in range(1024):
            out.write(compressor.compress(zeros))
        out.write(compressor.flush())
    with zipfile.ZipFile(folder / "zeros.zip", "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive, \
            archive.open("zeros.csv", "w", force_zip64=True) as member:
        for _ in range(1024):
            member.write(zeros)
    return folder


def test_a_bomb_is_stopped_before_memory_fills(database, cipher, clock, bombs):
    for name in ("zeros.csv.gz", "zeros.zip"):
        tracemalloc.start()
        try:
            refusal = _refused(database, cipher, clock, bombs / name, "exchange.bomb")
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert peak < 24 * MB, (name, peak)  # a gigabyte offered; a few chunks held
        assert "100" in refusal.reason and "bomb" in refusal.reason_en
        if name.endswith(".gz"):  # stopped once it had expanded 100 times its size, a chunk or two after
            assert refusal.details["expanded_at_least"] <= files.MAX_RATIO * (bombs / name).stat().st_size + 2 * MB
    assert refusal.details["expanded_at_least"] == 2**30  # the zip: refused from its header, before reading


def test_a_parquet_bomb_is_refused_from_its_footer(database, cipher, clock, tmp_path):
    rows = 2_000_000  # one row repeated, run-length encoded into some 40 KB
    pq.write_table(pa.table({"id_number": pa.repeat("ab" * 32, rows), "name": pa.repeat("张三", rows),
                             "death_date": pa.repeat("2025-01-03", rows), "source": pa.repeat("民政", rows)}),
                   tmp_path / "rows.parquet", compression="zstd")
    assert "2000000" in _refused(database, cipher, clock, tmp_path / "rows.parquet", "exchange.bomb",
                                 file_format="parquet").reason
    many = 20_000  # 20 MB of one long value, zstd-compressed into some 25 KB
    pq.write_table(pa.table({"id_number": pa.repeat("0" * 1000, many), "name": pa.repeat("张三", many),
                             "death_date": pa.repeat("2025-01-03", many), "source": pa.repeat("民政", many)}),
                   tmp_path / "bytes.parquet", compression="zstd", use_dictionary=False)
    _refused(database, cipher, clock, tmp_path / "bytes.parquet", "exchange.bomb", file_format="parquet")


def test_past_the_uncompressed_ceiling_a_file_is_refused(database, cipher, clock, tmp_path, monkeypatch):
    monkeypatch.setattr(files, "MAX_FILE_BYTES", MB)
    text = HEADER.encode() + b"\n" + b"".join(f"{secrets.token_hex(16)},某,2025-01-03,x\n".encode() for _ in range(40_000))
    (tmp_path / "big.csv.gz").write_bytes(gzip.compress(text))  # 2 MB expanded from under 1 MB: no bomb, too large
    assert (tmp_path / "big.csv.gz").stat().st_size < MB
    assert "1 吉字节" not in _refused(database, cipher, clock, tmp_path / "big.csv.gz", "exchange.too_large").reason
    (tmp_path / "big.csv").write_bytes(text)
    _refused(database, cipher, clock, tmp_path / "big.csv", "exchange.too_large")


def test_zips_that_are_not_one_plain_file_are_refused(database, cipher, clock, tmp_path):
    link = zipfile.ZipInfo("link.csv", (2025, 3, 1, 0, 0, 0))
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    cases = {
        "two.zip": ({"a.csv": CSV, "b.csv": CSV}, "exchange.zip_members"),
        "none.zip": ({"folder/": b""}, "exchange.zip_members"),
        "climbs.zip": ({"../../etc/deaths.csv": CSV}, "exchange.zip_path"),
        "absolute.zip": ({"/tmp/deaths.csv": CSV}, "exchange.zip_path"),
        "drive.zip": ({"C:\\deaths.csv": CSV}, "exchange.zip_path"),
        "link.zip": ({link: b"/etc/passwd"}, "exchange.zip_path"),
        "nested.zip": ({"deaths.csv.gz": gzip.compress(CSV)}, "exchange.nested"),
    }
    for name, (members, code) in cases.items():
        _refused(database, cipher, clock, _zip(tmp_path / name, members), code)
    (tmp_path / "nested.gz").write_bytes(gzip.compress(_zip(tmp_path / "inner.zip", {"d.csv": CSV}).read_bytes()))
    _refused(database, cipher, clock, tmp_path / "nested.gz", "exchange.nested")
    # Encrypted (ZipCrypto): the flag set in both headers, as `zip -e` leaves it; refused before a byte is read.
    data = bytearray(_zip(tmp_path / "plain.zip", {"deaths.csv": CSV}).read_bytes())
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        where = data.index(signature) + offset
        data[where] |= 0x01
    (tmp_path / "encrypted.zip").write_bytes(bytes(data))
    assert "encrypted" in _refused(database, cipher, clock, tmp_path / "encrypted.zip", "exchange.zip_encrypted").reason_en


def test_what_is_not_a_regular_file_is_refused(database, cipher, clock, tmp_path):
    for path in (tmp_path, tmp_path / "missing.csv", Path("/dev/zero")):
        _refused(database, cipher, clock, path, "exchange.unreadable")


# ---------------------------------------------------------------- cut short

def test_a_csv_cut_mid_row_rejects_that_row_and_loads_the_rest(database, cipher, clock, tmp_path):
    whole = CSV.decode().rstrip("\n")
    cases = {  # the last line as the file ends, and what becomes of it
        "quote.csv": (whole + f'\n{DEAD},"李四,2025-01', "the file ends inside a quoted value: the row is cut short"),
        "fields.csv": (whole + f"\n{DEAD},李四,2025-01", "cut short?"),
        "value.csv": (whole + f"\n{DEAD},李四,2025-01-0", "cut short?"),
    }
    for name, (text, said) in cases.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        result = _import(database, cipher, clock, tmp_path / name)
        assert (result["rows_loaded"], result["rows_rejected"]) == (2, 1), name
        assert result["rejected"][0]["row"] == 4 and said in result["rejected"][0]["reason_en"], result["rejected"]
        assert "截断" in result["rejected"][0]["reason"]
    (tmp_path / "whole.csv").write_text(whole.replace("民政 2", "民政 5"), encoding="utf-8")  # no last newline, whole
    assert _import(database, cipher, clock, tmp_path / "whole.csv")["rows_rejected"] == 0


def test_files_cut_short_damaged_or_empty_are_refused(database, cipher, clock, tmp_path):
    parquet = _parquet_bytes(id_number=[DEAD], name=["李四"], death_date=["2025-01-03"], source=["卫健"])
    zipped = _zip(tmp_path / "z", {"deaths.csv": CSV * 50}).read_bytes()
    packed = gzip.compress(CSV * 50)
    corrupt = bytearray(packed)
    corrupt[-6] ^= 0xFF  # the CRC no longer matches
    cases = {
        "cut.parquet": (parquet[:-50], "parquet", "exchange.truncated"),
        "footerless.parquet": (parquet[:len(parquet) // 2], "parquet", "exchange.truncated"),
        "cut.csv.gz": (packed[:len(packed) // 2], "csv", "exchange.truncated"),
        "cut.parquet.gz": (gzip.compress(parquet)[:-9], "parquet", "exchange.truncated"),
        "crc.csv.gz": (bytes(corrupt), "csv", "exchange.corrupt"),
        "cut.zip": (zipped[:len(zipped) // 2], "csv", "exchange.truncated"),
        "not.parquet": (b"PAR2 not parquet", "parquet", "exchange.not_parquet"),
        "empty.csv.gz": (gzip.compress(b""), "csv", "exchange.empty"),
        "header.zip": (_zip(tmp_path / "h", {"deaths.csv": f"{HEADER}\r\n\r\n".encode()}).read_bytes(), "csv", "exchange.empty"),
        "no-rows.parquet": (_parquet_bytes(id_number=pa.array([], pa.string()), name=pa.array([], pa.string()),
                                           death_date=pa.array([], pa.string()), source=pa.array([], pa.string())),
                            "parquet", "exchange.empty"),
        "parquet-as.csv": (parquet, "csv", "exchange.format_mismatch"),
    }
    for name, (data, file_format, code) in cases.items():
        (tmp_path / name).write_bytes(data)
        _refused(database, cipher, clock, tmp_path / name, code, file_format=file_format)


def test_a_damaged_lzma_member_is_refused_as_damaged(database, cipher, clock, tmp_path):
    import io
    import zipfile

    sink = io.BytesIO()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_LZMA) as archive:
        archive.writestr("deaths.csv", CSV * 200)
    damaged = bytearray(sink.getvalue())
    middle = len(damaged) // 3
    damaged[middle:middle + 16] = bytes(16)  # the LZMA stream no longer decodes
    (tmp_path / "lzma.zip").write_bytes(bytes(damaged))
    _refused(database, cipher, clock, tmp_path / "lzma.zip", "exchange.corrupt")


# ---------------------------------------------------------------- a line without end

def test_a_50_mb_line_is_refused_without_being_read_whole(database, cipher, clock, tmp_path):
    path = tmp_path / "long.csv"
    with path.open("wb") as out:
        out.write(f"{HEADER}\n{DEAD},李四,2025-01-03,民政\n{OTHER},".encode())
        for _ in range(50):
            out.write(b"x" * MB)
    tracemalloc.start()
    try:
        refusal = _refused(database, cipher, clock, path, "exchange.line_too_long")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 * MB, peak  # the line is 50 MB; at most a few 1 MB chunks are held
    assert refusal.details["line"] == 3 and "16384" in refusal.reason


def test_a_quote_left_open_refuses_the_file_once_the_row_runs_long(database, cipher, clock, tmp_path):
    rows = f"{DEAD},某,2025-01-03,x\n" * 1000  # swallowed into the open value, line after line
    (tmp_path / "open.csv").write_text(f'{HEADER}\n{DEAD},李四,2025-01-03,x\n{OTHER},"王五,2025-01-03,x\n{rows}',
                                       encoding="utf-8")
    assert _refused(database, cipher, clock, tmp_path / "open.csv", "exchange.line_too_long").details["line"] == 3


# ---------------------------------------------------------------- checksums

def test_the_declared_checksum_must_match(database, cipher, clock, tmp_path):
    path = tmp_path / "deaths.csv"
    path.write_bytes(CSV)
    actual = hashlib.sha256(CSV).hexdigest()
    wrong = hashlib.sha256(CSV + b"x").hexdigest()
    refusal = _refused(database, cipher, clock, path, "exchange.checksum_mismatch", sha256=wrong)
    assert refusal.details == {"checksum": actual, "declared": wrong, "declared_by": "option"}
    _refused(database, cipher, clock, path, "exchange.checksum_form", sha256="abc")
    sidecar = tmp_path / "deaths.csv.sha256"
    for text, code in ((f"{wrong}  deaths.csv\n", "exchange.checksum_mismatch"),
                       ("not a checksum\n", "exchange.checksum_file"),
                       (f"{actual}  deaths.csv\n{wrong}  other.csv\n", "exchange.checksum_file")):
        sidecar.write_text(text)
        _refused(database, cipher, clock, path, code, sha256=actual)
    sidecar.write_text(f"SHA256 (deaths.csv) = {actual.upper()}\n")  # as BSD `sha256` writes it
    result = _import(database, cipher, clock, path, sha256=actual.upper())
    assert result["checksum"] == actual and result["checksum_declared"] == ["option", "sidecar"]
    with database.unit_of_work() as uow:
        assert uow.session.get(ExchangeImport, result["import_id"]).checksum == actual


def test_a_file_changed_while_it_is_imported_is_refused(database, cipher, clock, tmp_path):
    path = tmp_path / "deaths.csv"
    path.write_bytes(CSV)

    def meddle(stage, done, total):
        if stage == "loading":
            with path.open("ab") as out:
                out.write(b"\n")

    _refused(database, cipher, clock, path, "exchange.changed", progress=meddle)


# ---------------------------------------------------------------- the wrong key

@pytest.fixture
def hashed_deaths(database, cipher, clock, tmp_path):
    """100 deaths hashed under the agreed key, 6 of them persons of ours: (the file's path under each key)."""
    add_test_streets(database, clock)
    ours = [id_number("110105", date(1940 + n, 1, 1), 101 + 2 * n) for n in range(6)]
    for number in ours:
        register(database, cipher, clock, birth=date(int(number[6:10]), 1, 1), sequence=int(number[14:17]))
    strangers = [id_number("310115", date(1930 + n % 40, 1 + n % 12, 1), 301 + 2 * n) for n in range(94)]

    def hashed(key: bytes, name: str):
        lines = [HEADER] + [f"{hmac.new(key, n.encode(), hashlib.sha256).hexdigest()},某,2025-01-03,民政"
                            for n in ours + strangers]
        (tmp_path / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
        return tmp_path / name

    return hashed


def test_the_wrong_key_is_known_by_almost_nothing_matching(database, cipher, clock, hashed_deaths):
    agreed, other = b"agreed-with-civil-affairs-2025", b"an-older-key-nobody-told-us-about"
    refusal = _refused(database, cipher, clock, hashed_deaths(agreed, "wrong.csv"), "exchange.hmac_key_mismatch",
                       hmac_key=other)
    assert "0.00%" in refusal.reason and "5%" in refusal.reason and "100 行" in refusal.reason
    assert refusal.details["match_rate"] == "0.0000" and refusal.details["rows"] == 100
    result = _import(database, cipher, clock, hashed_deaths(agreed, "right.csv"), hmac_key=agreed)
    assert (result["rows_loaded"], result["rows_matched"], result["match_rate"]) == (100, 6, "0.0600")
    with database.unit_of_work() as uow:
        marked = uow.session.scalar(select(func.count()).where(ExtDeath.id_hash.like("x:%")))
    assert marked == 94


def test_a_kind_that_may_rightly_match_none_is_loaded_with_its_rate(database, cipher, clock, tmp_path):
    key = b"agreed-with-the-education-bureau"
    lines = [("id_number,name,school,until")] + [
        f"{hmac.new(key, str(n).encode(), hashlib.sha256).hexdigest()},某,某大学,2027-07-01" for n in range(120)]
    (tmp_path / "students.csv").write_text("\n".join(lines), encoding="utf-8")
    result = _import(database, cipher, clock, tmp_path / "students.csv", kind="students", hmac_key=key)
    assert (result["rows_loaded"], result["rows_matched"], result["match_rate"]) == (120, 0, "0.0000")


# ---------------------------------------------------------------- the command

def test_the_command_refuses_in_both_languages_and_in_json(database_url, database, tmp_path, bombs):
    runner = CliRunner()
    path = tmp_path / "deaths.csv"
    path.write_bytes(CSV)
    (tmp_path / "cut.csv.gz").write_bytes(gzip.compress(CSV)[:30])
    cases = [
        ([str(bombs / "zeros.csv.gz")], "exchange.bomb", "压缩炸弹"),
        ([str(tmp_path / "cut.csv.gz")], "exchange.truncated", "截断"),
        ([str(path), "--sha256", "0" * 64], "exchange.checksum_mismatch", "校验值"),
        ([str(path), "--format", "parquet"], "exchange.not_parquet", "列式存储"),
    ]
    for arguments, code, chinese in cases:
        as_json = runner.invoke(app, ["exchange", "import", "deaths", *arguments, "--db", database_url, "--json"])
        assert as_json.exit_code == 1 and json.loads(as_json.stdout)["error"]["code"] == code, as_json.stdout
        human = runner.invoke(app, ["exchange", "import", "deaths", *arguments, "--db", database_url])
        assert human.exit_code == 1 and chinese in human.stderr and code in human.stderr, human.stderr
    _nothing_written(database)
    sha = hashlib.sha256(CSV).hexdigest()
    good = runner.invoke(app, ["exchange", "import", "deaths", str(path), "--sha256", sha, "--db", database_url, "--json"])
    body = json.loads(good.stdout)
    assert good.exit_code == 0 and body["checksum"] == sha and body["match_rate"] == "0.0000" and body["rows_loaded"] == 2
