"""The registries' declared columns and their checks, without a database."""

from datetime import date

import pytest

from shebao.comparison import rules
from shebao.core.errors import InvalidInput
from shebao.registry.divisions import all_divisions
from tests.support import id_number

CTX = rules.Context(today=date(2026, 11, 27), hashed=False, regions=frozenset(all_divisions()))


def test_the_columns_are_exactly_those_the_issue_declares():
    assert {kind: list(columns) for kind, columns in rules.KINDS.items()} == {
        "population": ["id_number", "name", "sex", "birth_date", "hukou_region", "residence_region", "status"],
        "deaths": ["id_number", "name", "death_date", "source"],
        "prisoners": ["id_number", "name", "from_date", "to_date"],
        "enterprises": ["uscc", "name", "region", "established", "status"],
        "tax_employment": ["uscc", "id_number", "period", "wage_fen"],
        "students": ["id_number", "name", "school", "until"],
    }
    rules.check_header("deaths", ["source", "death_date", "name", "id_number"])  # any order
    with pytest.raises(InvalidInput) as repeated:
        rules.check_header("deaths", ["id_number", "name", "death_date", "source", "source"])
    assert repeated.value.code == "exchange.columns"


def test_values_are_checked_and_normalised():
    row = rules.check_row("population", {"id_number": id_number().lower(), "name": "张三", "sex": "女",
                                         "birth_date": "1980-05-17", "hukou_region": "110105",
                                         "residence_region": "110105001", "status": "normal"}, CTX)
    assert row["sex"] == "F" and row["birth_date"] == date(1980, 5, 17) and row["id_number"] == id_number()
    tax = rules.check_row("tax_employment", {"uscc": "91110000600037341l", "id_number": id_number(),
                                             "period": "202611", "wage_fen": "1200000"}, CTX)
    assert tax["uscc"] == "91110000600037341L" and tax["wage_fen"] == 1_200_000
    for kind, row, column in (
            ("tax_employment", {"uscc": "91110000600037341L", "id_number": id_number(), "period": "202612",
                                "wage_fen": "1"}, "period"),  # a month not begun
            ("tax_employment", {"uscc": "91110000600037341L", "id_number": id_number(), "period": "202601",
                                "wage_fen": "-5"}, "wage_fen"),
            ("prisoners", {"id_number": id_number(), "name": "张三", "from_date": "2020-01-01",
                           "to_date": "2019-01-01"}, "to_date"),
            ("enterprises", {"uscc": "91110000600037341X", "name": "某公司", "region": "110105",
                             "established": "2010-01-01", "status": "active"}, "uscc")):
        with pytest.raises(rules.RowProblem) as problem:
            rules.check_row(kind, row, CTX)
        assert problem.value.en.startswith(f"{column}:") and problem.value.zh.startswith(column)


def test_a_hashed_file_holds_keyed_hashes_not_numbers():
    hashed = rules.Context(today=CTX.today, hashed=True, regions=CTX.regions)
    assert rules.id_number("AB" * 32, hashed) == "ab" * 32
    with pytest.raises(rules.RowProblem):
        rules.id_number(id_number(), hashed)


def test_the_encoding_read_is_named():
    assert rules.decode("编号".encode()) == ("编号", "utf-8")
    assert rules.decode(b"\xef\xbb\xbf" + "编号".encode()) == ("编号", "utf-8-sig")
    assert rules.decode("编号".encode("gbk")) == ("编号", "gbk")
    with pytest.raises(InvalidInput) as refused:
        rules.decode(b"\xef\xbb\xbf" + "编号".encode("gbk"))
    assert refused.value.code == "exchange.encoding"
