"""The risk rule catalogue (issue #15): every rule the issue names has an entry, every parameter it reads exists in the
store, every legal basis says what it quotes and where it was read, names and descriptions keep one language per field.
Pure: no database."""

from __future__ import annotations

import re
from datetime import date

import pytest

from shebao.core.errors import NotFound
from shebao.policy.store import default_store
from shebao.risk.catalogue import parse_day, rules_in_force
from shebao.risk.rules import (
    CATALOGUE,
    COMMON_PARAMETERS,
    RULES,
    SEVERITY_NAMES,
    SUBJECT_NAMES,
    WHEN_NAMES,
    RuleSubject,
    Severity,
    When,
    after_the_fact_rules,
    finding_severity,
    in_process_rules,
    parameter_paths,
    rule,
)
from tests.support import assert_bilingual, assert_chinese, assert_english

# Each item of the issue's list ("A rule catalogue" and "In-process rules"), and the rules that answer it.
ISSUE_ITEMS = {
    "after death: any benefit paid": ["R01_paid_after_death"],
    "during a prison sentence: any benefit paid": ["R02_paid_during_sentence"],
    "the same person paid by two provinces": ["R03_paid_by_two_provinces"],
    "paid by two schemes that exclude each other": ["R04_exclusive_schemes_together", "R15_unemployment_while_pension"],
    "a birth date or identity changed shortly before retirement (双改)": ["R05_identity_changed_before_retirement"],
    "a retirement age below what the recorded birth date allows": ["R06_retired_below_statutory_age"],
    "early retirement on a special-work ground without its years": ["R07_special_work_without_years"],
    "a base that jumps sharply in the years before retirement": ["R08_base_jump_before_retirement"],
    "large make-up payments shortly before retirement": ["R09_makeup_before_retirement"],
    "contributions for someone under 16": ["R10_contributions_under_16"],
    "contributions past retirement age": ["R11_contributions_past_retirement_age"],
    "one person declared by two employers with overlapping full bases": ["R12_two_employers_full_bases"],
    "an employer whose declared employees appear nowhere in tax records": ["R13_fictitious_employment"],
    "unemployment benefit while a new employer declares the person": ["R14_unemployment_while_employed"],
    "unemployment benefit while drawing a pension": ["R15_unemployment_while_pension"],
    "many benefits paid into one bank account": ["R16_shared_bank_account"],
    "one phone or address shared by many claimants": ["R17_shared_phone_or_address"],
    "a staff member acting on their own or a family member's record": ["R18_staff_own_or_family_record"],
    "a staff member approving their own case": ["R19_staff_approves_own_case"],
    "payroll totals that jump month on month beyond a threshold, per region": ["R20_payroll_jump"],
    "in process: a second pension award": ["R21_second_pension_award"],
    "in process: a payment to a frozen card": ["R22_payment_to_frozen_card"],
    "in process: a transfer while a benefit is drawn": ["R23_transfer_while_drawing"],
    "in process: a clerk acting on their own record": ["R24_clerk_own_record"],
}


@pytest.mark.parametrize(("item", "ids"), ISSUE_ITEMS.items(), ids=list(ISSUE_ITEMS))
def test_every_rule_the_issue_names_has_an_entry(item, ids):
    for rule_id in ids:
        assert rule_id in RULES, f"{item}: no rule {rule_id}"


def test_the_catalogue_is_what_the_issue_asks_and_nothing_unexplained():
    named = {rule_id for ids in ISSUE_ITEMS.values() for rule_id in ids}
    assert set(RULES) == named
    assert len(RULES) == len(CATALOGUE), "a rule id given twice"


def test_rule_ids_are_stable_numbered_snake_case_in_order():
    ids = [r.id for r in CATALOGUE]
    assert all(re.fullmatch(r"R\d{2}_[a-z0-9_]+", rule_id) for rule_id in ids)
    assert [int(rule_id[1:3]) for rule_id in ids] == list(range(1, len(ids) + 1))


def test_the_in_process_rules_the_issue_lists_run_in_process_and_block():
    in_process = {r.id for r in in_process_rules()}
    assert {"R21_second_pension_award", "R22_payment_to_frozen_card", "R23_transfer_while_drawing",
            "R24_clerk_own_record"} <= in_process
    assert all(r.when == When.IN_PROCESS for r in CATALOGUE if r.id[:3] in ("R21", "R22", "R23", "R24"))
    assert {r.id for r in after_the_fact_rules()} == {r.id for r in CATALOGUE if r.when != When.IN_PROCESS}
    assert RULES["R01_paid_after_death"].in_process and RULES["R01_paid_after_death"].after_the_fact


def test_whom_each_finding_concerns():
    assert RULES["R13_fictitious_employment"].subject == RuleSubject.EMPLOYER
    assert RULES["R20_payroll_jump"].subject == RuleSubject.REGION
    assert {r.id for r in CATALOGUE if r.subject == RuleSubject.STAFF} == {
        "R18_staff_own_or_family_record", "R19_staff_approves_own_case", "R24_clerk_own_record"}


def test_every_parameter_a_rule_reads_exists_in_the_store():
    store = default_store()
    known = set(store.national) | {path for layer in (*store.provinces.values(), *store.cities.values()) for path in layer}
    for path in parameter_paths():
        assert path in known, f"no parameter {path}"
        if path.startswith("risk."):
            assert path in store.national, f"{path}: a risk threshold has a national default"


CASE_WORK = ("risk.recovery.", "risk.cases.", "risk.cockpit.")  # read by case work, recovery and the cockpit


def test_every_risk_threshold_is_read_by_some_rule_and_declares_a_sane_range():
    store = default_store()
    read = set(parameter_paths())
    for path, parameter in store.national.items():
        if path.startswith(CASE_WORK):  # not rules: risk/cases.py, risk/recovery.py, risk/cockpit.py read them
            assert parameter.range is not None, f"{path} declares no range"
        elif path.startswith("risk.") and not path.startswith("risk.projection."):  # the projection's assumptions
            assert path in read, f"{path} is read by no rule"
            assert parameter.range is not None, f"{path} declares no range"
    assert set(COMMON_PARAMETERS) <= read


def test_every_legal_basis_names_its_document_article_text_and_where_it_was_read():
    for each in CATALOGUE:
        assert each.legal_basis, f"{each.id}: no legal basis"
        for basis in each.legal_basis:
            assert basis.document and basis.article and basis.text_zh and basis.source, each.id
            assert_chinese(basis.text_zh, f"{each.id}: {basis.document}")
            assert re.search(r"https?://|from memory", basis.source), f"{each.id}: {basis.document} says not where it was read"
            if "http" in basis.source and "gov.cn/" not in basis.source.split("http", 1)[1][:40]:
                assert "restatement" in basis.source and "verify" in basis.source, f"{each.id}: {basis.source}"


@pytest.mark.parametrize("each", CATALOGUE, ids=[r.id for r in CATALOGUE])
def test_names_and_descriptions_keep_one_language_per_field(each):
    assert_bilingual(each.name_zh, each.name_en, each.id)
    assert_bilingual(each.description_zh, each.description_en, each.id)


def test_every_severity_when_and_subject_has_its_names_in_both_languages():
    for names, kinds in ((SEVERITY_NAMES, Severity), (WHEN_NAMES, When), (SUBJECT_NAMES, RuleSubject)):
        assert set(names) == set(kinds)
        for zh, en in names.values():
            assert_bilingual(zh, en)


def test_money_at_stake_raises_a_findings_severity_and_never_lowers_it():
    limits = {"high_amount_fen": 500_000, "critical_amount_fen": 5_000_000}
    shared_phone, after_death = RULES["R17_shared_phone_or_address"], RULES["R01_paid_after_death"]
    assert finding_severity(shared_phone, None, **limits) == Severity.LOW
    assert finding_severity(shared_phone, 499_999, **limits) == Severity.LOW
    assert finding_severity(shared_phone, 500_000, **limits) == Severity.HIGH
    assert finding_severity(shared_phone, 5_000_000, **limits) == Severity.CRITICAL
    assert finding_severity(after_death, 1, **limits) == Severity.CRITICAL
    assert finding_severity(RULES["R08_base_jump_before_retirement"], 600_000, **limits) == Severity.HIGH


@pytest.mark.parametrize("unknown", ["R99_nothing", "", "r01_paid_after_death", None, 7])
def test_an_unknown_rule_is_refused_in_both_languages(unknown):
    with pytest.raises(NotFound) as refused:
        rule(unknown)
    assert refused.value.code == "risk.rule_unknown"
    assert_bilingual(refused.value.reason, refused.value.reason_en)


def test_the_listing_gives_each_rules_parameters_in_force_with_source_and_range():
    listing = rules_in_force(store=default_store(), day=date(2025, 8, 1), region_code="110105")
    assert listing["counts"]["rules"] == len(CATALOGUE) and len(listing["rules"]) == len(CATALOGUE)
    by_id = {r["id"]: r for r in listing["rules"]}
    base_jump = {p["path"]: p for p in by_id["R08_base_jump_before_retirement"]["parameters"]}
    assert base_jump["risk.base_jump.ratio"]["value"] == "2.0" and base_jump["risk.base_jump.ratio"]["range"] == ["1.2", "10"]
    assert base_jump["risk.base_jump.ratio"]["state"] == "valid" and "platform's own threshold" in base_jump["risk.base_jump.ratio"]["source"]
    floor = next(p for p in by_id["R12_two_employers_full_bases"]["parameters"] if p["path"] == "contribution.base.floor_fen")
    assert floor["value"] == 716200 and floor["jurisdiction"] == "110000"  # Beijing's floor from 2025-07
    national = rules_in_force(store=default_store(), day=date(2025, 8, 1))
    floor = next(p for p in {r["id"]: r for r in national["rules"]}["R12_two_employers_full_bases"]["parameters"]
                 if p["path"] == "contribution.base.floor_fen")
    assert floor["value"] is None and floor["state"] == "not_in_force"  # a province's figure: none nationally
    assert [p["path"] for p in listing["common_parameters"]] == list(COMMON_PARAMETERS)
    assert by_id["R21_second_pension_award"]["when"] == "in_process" and by_id["R21_second_pension_award"]["when_zh"]


@pytest.mark.parametrize("text", ["2025-13-01", "2025-6-1", "tomorrow", "", "2025-06-01T00:00"])
def test_a_malformed_day_is_refused_in_both_languages(text):
    with pytest.raises(Exception) as refused:
        parse_day(text)
    assert getattr(refused.value, "code", None) == "risk.date"
    assert_bilingual(refused.value.reason, refused.value.reason_en)
    assert_english(refused.value.reason_en)


def test_the_operator_notes_list_every_rule():
    from pathlib import Path

    notes = (Path(__file__).resolve().parents[2] / "docs" / "risk.md").read_text(encoding="utf-8")
    table = notes.split("## The rule catalogue")[1]
    for each in CATALOGUE:
        row = next((line for line in table.splitlines() if line.startswith(f"| `{each.id}` |")), None)
        assert row is not None, f"docs/risk.md does not list {each.id}"
        assert f"| {each.when.value} | {each.severity.value} |" in row, f"docs/risk.md: {each.id} differs from the catalogue"
        for path in each.parameters:
            assert f"`{path}`" in row, f"docs/risk.md: {each.id} does not name {path}"
