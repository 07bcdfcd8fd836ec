"""Other departments' registries imported on a real database: every kind's columns, bad rows reported with their
row number and reason while good rows load, a row repeated in every kind, GBK and UTF-8 with or without BOM (and
which was read), Parquet, keyed hashes instead of numbers (translated to ours where they are ours), and the files
refused whole: wrong columns, unreadable lines, the same file twice. Hostile files: test_exchange_bad_files.py."""

import hashlib
import hmac
import json
from datetime import date

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from shebao.cli import app
from shebao.comparison.models import TABLES, ExchangeImport, ExtDeath, ExtPopulation
from shebao.comparison.service import import_file
from shebao.core.errors import Conflict, InvalidInput
from tests.support import add_test_streets, id_number, register

ALIVE = id_number("110105", date(1980, 5, 17), 123)
DEAD = id_number("310115", date(1950, 1, 2), 125)
USCC = "91110000600037341L"
GOOD = {
    "population": ["id_number,name,sex,birth_date,hukou_region,residence_region,status",
                   f"{ALIVE},张三,M,1980-05-17,110105,110105,normal"],
    "deaths": ["id_number,name,death_date,source", f"{DEAD},李四,2025-01-03,民政 2025-0001"],
    "prisoners": ["id_number,name,from_date,to_date", f"{ALIVE},张三,2020-01-01,2030-12-31"],
    "enterprises": ["uscc,name,region,established,status", f"{USCC},朝阳建筑有限公司,110105,2010-06-01,active"],
    "tax_employment": ["uscc,id_number,period,wage_fen", f"{USCC},{ALIVE},202501,1200000"],
    "students": ["id_number,name,school,until", f"{ALIVE},张三,北京大学,2027-07-01"],
}


def _file(tmp_path, lines, name="f.csv", encoding="utf-8", bom=False):
    path = tmp_path / name
    data = ("\n".join(lines) + "\n").encode(encoding)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return path


def _import(database, cipher, clock, kind, path, **extra):
    return import_file(database=database, cipher=cipher, kind=kind, path=path, actor="test", now=clock.now(), **extra)


@pytest.mark.parametrize("kind", sorted(GOOD))
def test_every_kind_loads_its_declared_columns(database, cipher, clock, tmp_path, kind):
    result = _import(database, cipher, clock, kind, _file(tmp_path, GOOD[kind]))
    assert (result["rows_read"], result["rows_loaded"], result["rows_rejected"]) == (1, 1, 0)
    assert (result["rows_matched"], result["match_rate"], result["container"]) == (0, "0.0000", "plain")
    with database.unit_of_work() as uow:
        assert uow.session.scalar(select(func.count()).select_from(TABLES[kind])) == 1
        record = uow.session.get(ExchangeImport, result["import_id"])
        assert record.kind == kind and len(record.checksum) == 64 and record.encoding == "utf-8"


def test_bad_rows_are_reported_by_number_and_good_rows_load(database, cipher, clock, tmp_path):
    lines = GOOD["population"] + [
        f"{ALIVE[:-1]}0,错号,M,1980-05-17,110105,110105,normal",  # a wrong check character
        f"{DEAD},王五,X,1950-01-02,310115,310115,normal",  # sex
        f"{DEAD},王五,F,2999-01-02,310115,310115,normal",  # a future birth date
        f"{DEAD},王五,F,1950-01-02,999999,310115,normal",  # no such region
        f"{DEAD},王五,F,1950-01-02,310115,310115,gone",  # status
        f"{DEAD},王五,F,1950-01-02,310115",  # too few cells
        GOOD["population"][1],  # a duplicate of row 2
        f"{DEAD},王五,女,1950-01-02,310115,310115,moved_out",  # good (女 read as F)
    ]
    result = _import(database, cipher, clock, "population", _file(tmp_path, lines))
    assert (result["rows_loaded"], result["rows_rejected"]) == (2, 7)
    rows = {r["row"]: r for r in result["rejected"]}
    assert sorted(rows) == [3, 4, 5, 6, 7, 8, 9]
    assert rows[4]["reason_en"].startswith("sex:") and rows[5]["reason_en"].startswith("birth_date:")
    assert rows[9]["reason_en"] == "a duplicate of row 2" and "重复" in rows[9]["reason"]
    with database.unit_of_work() as uow:
        stored = uow.session.scalars(select(ExtPopulation.sex).order_by(ExtPopulation.id)).all()
        hashes = uow.session.scalars(select(ExtPopulation.id_hash)).all()
    assert stored == ["M", "F"] and cipher.lookup_hash(ALIVE) in hashes and ALIVE not in hashes


@pytest.mark.parametrize("kind", sorted(GOOD))
def test_a_row_repeated_is_rejected_in_every_kind(database, cipher, clock, tmp_path, kind):
    header, row = GOOD[kind]
    result = _import(database, cipher, clock, kind, _file(tmp_path, [header, row, "", row, " " + row.replace(",", " ,", 1)]))
    assert (result["rows_read"], result["rows_loaded"], result["rows_rejected"]) == (3, 1, 2)
    assert [(r["row"], r["reason_en"]) for r in result["rejected"]] == [(4, "a duplicate of row 2"), (5, "a duplicate of row 2")]
    with database.unit_of_work() as uow:
        assert uow.session.scalar(select(func.count()).select_from(TABLES[kind])) == 1


def test_gbk_and_a_bom_are_read_and_named(database, cipher, clock, tmp_path):
    gbk = _import(database, cipher, clock, "deaths", _file(tmp_path, GOOD["deaths"], "gbk.csv", encoding="gbk"))
    bom = _import(database, cipher, clock, "students", _file(tmp_path, GOOD["students"], "bom.csv", bom=True))
    assert (gbk["encoding"], bom["encoding"]) == ("gbk", "utf-8-sig")
    with database.unit_of_work() as uow:
        assert uow.session.scalar(select(ExtDeath.source)) == "民政 2025-0001"


def test_parquet_loads_the_same_columns(database, cipher, clock, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "deaths.parquet"
    pq.write_table(pa.table({"id_number": [DEAD, "x"], "name": ["李四", "坏"], "death_date": ["2025-01-03", "2025-01-03"],
                             "source": ["卫健 1", "卫健 2"]}), path)
    result = _import(database, cipher, clock, "deaths", path, file_format="parquet")
    assert (result["encoding"], result["rows_loaded"], result["rows_rejected"]) == ("parquet", 1, 1)
    (tmp_path / "fake.parquet").write_bytes(b"not parquet at all")
    with pytest.raises(InvalidInput) as refused:
        _import(database, cipher, clock, "deaths", tmp_path / "fake.parquet", file_format="parquet")
    assert refused.value.code == "exchange.not_parquet"


def test_keyed_hashes_become_ours_where_they_are_ours(database, cipher, clock, tmp_path):
    """A hashed row of one of our persons holds our keyed hash, as a plain import would; another keeps the exchange's
    hash, marked so that it never equals one of ours."""
    add_test_streets(database, clock)
    register(database, cipher, clock, birth=date(1950, 1, 2), sequence=125, hukou="310115")  # DEAD
    key = b"agreed-with-civil-affairs-2025"
    ours, stranger = (hmac.new(key, number.encode(), hashlib.sha256).hexdigest() for number in (DEAD, ALIVE))
    result = _import(database, cipher, clock, "deaths", _file(tmp_path, ["id_number,name,death_date,source",
                                                                         f"{ours.upper()},李四,2025-01-03,民政",
                                                                         f"{stranger},张三,2025-01-04,民政",
                                                                         f"{DEAD},李四,2025-01-03,民政"]),
                     hmac_key=key)
    assert result["hashed"] and (result["rows_loaded"], result["rows_rejected"], result["rows_matched"]) == (2, 1, 1)
    assert result["match_rate"] == "0.5000"  # two rows: too few to judge the key (exchange.yaml min_rows)
    with database.unit_of_work() as uow:
        stored = dict(uow.session.execute(select(ExtDeath.name, ExtDeath.id_hash)).all())
        assert uow.session.get(ExchangeImport, result["import_id"]).hash_key_fingerprint == hashlib.sha256(key).hexdigest()[:16]
    assert stored == {"李四": cipher.lookup_hash(DEAD), "张三": "x:" + stranger[:62]}


def test_files_refused_whole_leave_nothing(database, cipher, clock, tmp_path):
    cases = [
        ("deaths", ["id_number,name,death_date", f"{DEAD},李四,2025-01-03"], "exchange.columns"),
        ("deaths", ["id_number,name,death_date,source,extra", f"{DEAD},李四,2025-01-03,x,y"], "exchange.columns"),
        ("deaths", ["id_number,name,death_date,source", f'{DEAD},"李四,2025-01-03,民政' + "x" * 2000], "exchange.unreadable_row"),
        ("deaths", ["id_number,name,death_date,source", "bad,李四,2025-01-03,民政"], "exchange.nothing_loaded"),
        ("nobody", GOOD["deaths"], "exchange.kind"),
    ]
    for index, (kind, lines, code) in enumerate(cases):
        with pytest.raises(InvalidInput) as refused:
            _import(database, cipher, clock, kind, _file(tmp_path, lines, f"case{index}.csv"))
        assert refused.value.code == code and refused.value.reason_en, code
    (tmp_path / "latin.csv").write_bytes("id_number,name\n".encode() + b"\xff\xfe\x00\x81\x81\xff")
    with pytest.raises(InvalidInput) as encoding:
        _import(database, cipher, clock, "deaths", tmp_path / "latin.csv")
    assert encoding.value.code in ("exchange.encoding", "exchange.columns")
    with database.unit_of_work() as uow:
        assert uow.session.scalar(select(func.count()).select_from(ExchangeImport)) == 0
        assert uow.session.scalar(select(func.count()).select_from(ExtDeath)) == 0


def test_the_same_file_twice_is_imported_once(database, cipher, clock, tmp_path):
    path = _file(tmp_path, GOOD["enterprises"])
    first = _import(database, cipher, clock, "enterprises", path)
    with pytest.raises(Conflict) as again:
        _import(database, cipher, clock, "enterprises", path)
    assert again.value.code == "exchange.already_imported" and again.value.details["import_id"] == first["import_id"]


def test_the_command_keeps_its_shape(database_url, database, tmp_path):
    runner = CliRunner()
    path = _file(tmp_path, GOOD["population"] + ["bad,row,M,1980-01-01,110105,110105,normal"])
    result = runner.invoke(app, ["exchange", "import", "population", str(path), "--db", database_url, "--json"])
    body = json.loads(result.stdout)
    assert result.exit_code == 0 and (body["rows_loaded"], body["rows_rejected"]) == (1, 1)
    assert body["rejected"][0]["row"] == 3 and body["rejected"][0]["reason_en"].startswith("id_number:")
    again = runner.invoke(app, ["exchange", "import", "population", str(path), "--db", database_url, "--json"])
    assert again.exit_code == 1 and json.loads(again.stdout)["error"]["code"] == "exchange.already_imported"
    short_key = tmp_path / "key"
    short_key.write_bytes(b"short")
    refused = runner.invoke(app, ["exchange", "import", "deaths", str(path), "--hmac-key-file", str(short_key),
                                  "--db", database_url])
    assert refused.exit_code == 1 and "too short" in refused.stdout + refused.stderr and "密钥过短" in refused.stderr
    for key_file, code in ((short_key, "exchange.key_form"), (tmp_path / "missing", "exchange.key_unreadable")):
        as_json = runner.invoke(app, ["exchange", "import", "deaths", str(path), "--hmac-key-file", str(key_file),
                                      "--db", database_url, "--json"])
        assert as_json.exit_code == 1 and json.loads(as_json.stdout)["error"]["code"] == code
