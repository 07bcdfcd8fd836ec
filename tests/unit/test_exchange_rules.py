"""The registries' declared columns and their checks, without a database."""

from datetime import date
from decimal import Decimal

import pytest

from shebao.comparison import rules
from shebao.core.errors import InvalidInput
from shebao.registry.divisions import all_divisions
from tests.support import assert_bilingual, id_number

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


ALIVE = id_number()  # born 1980-05-17
USCC = "91110000600037341L"
# One good row of each kind, and for each of its dates that may not lie ahead, that column.
ROWS = {
    "population": ({"id_number": ALIVE, "name": "张三", "sex": "M", "birth_date": "1980-05-17", "hukou_region": "110105",
                    "residence_region": "110105", "status": "normal"}, ["birth_date"]),
    "deaths": ({"id_number": ALIVE, "name": "张三", "death_date": "2026-01-03", "source": "民政"}, ["death_date"]),
    "prisoners": ({"id_number": ALIVE, "name": "张三", "from_date": "2020-01-01", "to_date": "2040-01-01"}, ["from_date"]),
    "enterprises": ({"uscc": USCC, "name": "某公司", "region": "110105", "established": "2010-01-01",
                     "status": "active"}, ["established"]),
    "tax_employment": ({"uscc": USCC, "id_number": ALIVE, "period": "202611", "wage_fen": "1"}, ["period"]),
    "students": ({"id_number": ALIVE, "name": "张三", "school": "北京大学", "until": "2030-07-01"}, []),
}


@pytest.mark.parametrize("kind", sorted(ROWS))
def test_no_kind_takes_a_date_still_to_come_where_it_records_the_past(kind):
    row, past_only = ROWS[kind]
    rules.check_row(kind, row, CTX)  # a sentence's end and a course's end may lie ahead
    assert sorted(rules.KINDS) == sorted(ROWS)
    for column in past_only:
        tomorrow = "202612" if column == "period" else "2026-11-28"
        with pytest.raises(rules.RowProblem) as problem:
            rules.check_row(kind, row | {column: tomorrow}, CTX)
        assert problem.value.en.startswith(f"{column}:") and "future" in problem.value.en


@pytest.mark.parametrize("kind", ["population", "deaths", "prisoners", "students"])
def test_a_date_before_1900_or_before_the_birth_the_number_carries_is_rejected(kind):
    row, _ = ROWS[kind]
    column = {"population": "birth_date", "deaths": "death_date", "prisoners": "from_date", "students": "until"}[kind]
    for day, said in (("1899-12-31", "before 1900"), ("1980-05-16", "birth date 1980-05-17")):
        with pytest.raises(rules.RowProblem) as problem:
            rules.check_row(kind, row | {column: day} | ({"to_date": ""} if kind == "prisoners" else {}), CTX)
        assert problem.value.en.startswith(f"{column}:") and said in problem.value.en, problem.value.en
    hashed = rules.Context(today=CTX.today, hashed=True, regions=CTX.regions)  # no birth date to compare with
    assert rules.check_row(kind, row | {"id_number": "ab" * 32, column: "1980-05-16"}, hashed)[column] == date(1980, 5, 16)


def test_a_hash_from_another_department_is_stored_marked_and_cut_to_fit():
    stored = rules.exchange_mark("ab" * 32)
    assert stored == "x:" + "ab" * 31 and len(stored) == 64 and not rules.HASH.match(stored)


def test_a_hashed_file_matching_almost_none_of_ours_was_hashed_under_another_key():
    floor = Decimal("0.05")
    rules.check_key("deaths", rows=99, matched=0, min_rows=100, floor=floor)  # too few rows to judge
    rules.check_key("deaths", rows=100, matched=5, min_rows=100, floor=floor)  # at the floor
    rules.check_key("students", rows=1000, matched=0, min_rows=100, floor=floor)  # may rightly match none
    for kind in rules.EXPECT_MATCH:
        with pytest.raises(InvalidInput) as refused:
            rules.check_key(kind, rows=1000, matched=3, min_rows=100, floor=floor)
        assert refused.value.code == "exchange.hmac_key_mismatch"
        assert "0.30%" in refused.value.reason and "0.30%" in refused.value.reason_en and "5%" in refused.value.reason
        assert refused.value.details["match_rate"] == "0.0030"
        assert_bilingual(refused.value.reason, refused.value.reason_en, kind)
    assert rules.match_rate(1, 3) == Decimal("0.3333") and rules.match_rate(0, 0) == 0
