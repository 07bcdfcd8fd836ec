"""Unified social credit codes, names, phones and industry codes (a published code read apart is a case:
tests/cases/registry/credit_code.yaml)."""

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shebao.core.errors import InvalidInput
from shebao.demo.seed import demo_credit_code
from shebao.registry.rules import (
    normalise_employer_name,
    normalise_industry_code,
    normalise_name,
    normalise_phone,
    parse_credit_code,
)


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("91110000600037341", "uscc.length"),
        ("91110000600037341M", "uscc.invalid"),
        ("9111000060003734IL", "uscc.invalid"),
        ("A1110000600037341L", "uscc.invalid"),
    ],
)
def test_bad_credit_codes_are_refused(code, error):
    with pytest.raises(InvalidInput) as refused:
        parse_credit_code(code)
    assert refused.value.code == error


def test_a_credit_code_whose_organization_code_check_is_wrong_is_refused():
    from stdnum.cn import uscc

    body = "91110000600037342"  # organization code check should be 1
    with pytest.raises(InvalidInput) as refused:
        parse_credit_code(body + uscc.calc_check_digit(body))
    assert refused.value.code == "uscc.organization_code"


@given(st.integers(min_value=0, max_value=10**6))
def test_demo_credit_codes_are_always_valid(seed):
    code = demo_credit_code("110105", random.Random(seed))
    assert parse_credit_code(code).region_code == "110105"


@pytest.mark.parametrize("name", ["张伟", "欧阳 娜娜", "阿卜杜拉·艾尼瓦尔", "Li Lei", "𠮷田"])
def test_real_names_are_accepted(name):
    assert normalise_name(name) == name


@pytest.mark.parametrize(
    "name",
    ["<script>alert(1)</script>", "Robert'); DROP TABLE persons;--", "张伟\x00", "", " " * 3, "王" * 51, "1' OR '1'='1"],
)
def test_injection_attempts_and_junk_in_names_are_refused(name):
    with pytest.raises(InvalidInput) as refused:
        normalise_name(name)
    assert refused.value.code.startswith("name.")


def test_employer_names_allow_brackets_and_refuse_markup():
    assert normalise_employer_name("北京某某科技有限公司（朝阳分公司）") == "北京某某科技有限公司（朝阳分公司）"
    with pytest.raises(InvalidInput):
        normalise_employer_name("<b>公司</b>")


@pytest.mark.parametrize(("raw", "clean"), [("138 0013 8000", "13800138000"), ("+8613800138000", "13800138000"),
                                            ("010-65123456", "010-65123456")])
def test_phone_numbers_are_normalised(raw, clean):
    assert normalise_phone(raw) == clean


@pytest.mark.parametrize("raw", ["12345", "23800138000", "phone", "1380013800a"])
def test_bad_phone_numbers_are_refused(raw):
    with pytest.raises(InvalidInput):
        normalise_phone(raw)


def test_industry_codes_follow_gb_t_4754():
    assert normalise_industry_code("c13") == "C13"
    assert normalise_industry_code("I") == "I"
    for bad in ("Z12", "C1", "13", "C12345"):
        with pytest.raises(InvalidInput):
            normalise_industry_code(bad)
