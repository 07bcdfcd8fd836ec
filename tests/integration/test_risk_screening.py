"""The after-the-fact screening (risk/screening.py) and the payment rules (risk/screen_payments.py): every rule trips
on planted data and leaves its near miss alone; findings open one case each, ever; bad input writes nothing."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from shebao.benefits.models import PensionAward
from shebao.cards.models import Card
from shebao.core.errors import InvalidInput
from shebao.risk.models import RiskCase, RiskCaseEvent, RiskScreeningRun
from shebao.risk.screening import screen_province
from tests.risk_world import OTHER_PROVINCE, PROVINCE, RiskWorld, periods
from tests.support import CHAOYANG_STREET, HAIDIAN_STREET, add_test_streets, assert_bilingual

NOW = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)
AS_OF = date(2025, 2, 28)
YEAR_2024 = periods("202401", 12)


class _Clock:
    def now(self) -> datetime:
        return NOW


def _plant(database, cipher, plant):  # noqa: ANN001, ANN202
    add_test_streets(database, _Clock())
    with database.transaction() as session:
        return plant(RiskWorld(session, cipher, NOW))


def _screen(database, *rules: str, as_of: date = AS_OF, cipher=None, now: datetime = NOW) -> dict:  # noqa: ANN001
    with database.transaction() as session:
        return screen_province(session=session, province=PROVINCE, as_of=as_of, actor="staff:test", now=now,
                               rules=list(rules) or None, cipher=cipher)


def _cases(database, rule_id: str) -> dict[int | None, RiskCase]:  # noqa: ANN001
    with database.transaction() as session:
        cases = session.scalars(select(RiskCase).where(RiskCase.rule_id == rule_id)).all()
        session.expunge_all()
    return {case.person_id: case for case in cases}


# ---------------------------------------------------------------- each rule: a trip and a near miss


def test_r01_paid_after_a_death_in_our_record_or_a_register(database, cipher):
    def plant(w: RiskWorld) -> dict:
        return {
            "ours": w.pensioner(months=periods("202401", 9), death=date(2024, 6, 15)),  # stops from 202407: 3 months
            "register": w.pensioner(months=YEAR_2024),  # the civil affairs register: died 2024-10-03, 202411–202412
            "near": w.pensioner(months=periods("202401", 6), death=date(2024, 6, 15)),  # the month of death is paid
            "other_province": w.pensioner(months=periods("202401", 9), province=OTHER_PROVINCE, death=date(2024, 6, 1)),
        }

    people = _plant(database, cipher, plant)
    with database.transaction() as session:
        RiskWorld(session, cipher, NOW).registered_death(people["register"], date(2024, 10, 3))
    result = _screen(database, "R01_paid_after_death")
    cases = _cases(database, "R01_paid_after_death")
    assert set(cases) == {people["ours"], people["register"]} and result["counts"] == {"R01_paid_after_death": 2}
    ours = cases[people["ours"]]
    assert (ours.amount_fen, ours.period_from, ours.period_to) == (900_000, "202407", "202409")
    assert json.loads(ours.details) == {"death_month": "202406", "source": "registry", "months_paid_after": 3}
    assert ours.region_code == CHAOYANG_STREET and ours.status == "open" and ours.subject_kind == "person"
    assert ours.severity == "critical" and ours.finding_key == f"p:{people['ours']}"
    registered = cases[people["register"]]
    assert (registered.amount_fen, registered.period_from, registered.period_to) == (600_000, "202411", "202412")
    assert json.loads(registered.details)["source"] == "民政部门"


def test_r02_paid_for_months_wholly_inside_a_prison_term(database, cipher):
    def plant(w: RiskWorld) -> dict:
        inside, near, open_ended = (w.pensioner(months=YEAR_2024) for _ in range(3))
        w.prison_term(inside, date(2024, 3, 15), date(2024, 7, 10))  # whole months: 202404–202406
        w.prison_term(near, date(2024, 3, 15), date(2024, 4, 20))  # no month wholly inside
        w.prison_term(open_ended, date(2024, 11, 1), None)  # from its first day, still serving: 202411–202412
        return {"inside": inside, "near": near, "open_ended": open_ended}

    people = _plant(database, cipher, plant)
    _screen(database, "R02_paid_during_sentence")
    cases = _cases(database, "R02_paid_during_sentence")
    assert set(cases) == {people["inside"], people["open_ended"]}
    inside = cases[people["inside"]]
    assert (inside.amount_fen, inside.period_from, inside.period_to) == (900_000, "202404", "202406")
    assert inside.finding_key == f"p:{people['inside']}:2024-03-15"
    assert (cases[people["open_ended"]].period_from, cases[people["open_ended"]].period_to) == ("202411", "202412")


def test_r03_one_person_under_two_numbers_paid_by_two_provinces(database, cipher):
    def plant(w: RiskWorld) -> dict:
        here = w.pensioner(months=periods("202401", 6))
        there = w.pensioner(months=periods("202404", 6), province=OTHER_PROVINCE)
        w.link(here, there)
        near_here = w.pensioner(months=periods("202401", 3))
        near_there = w.pensioner(months=periods("202404", 3), province=OTHER_PROVINCE)  # one after the other
        w.link(near_here, near_there)
        w.pensioner(months=periods("202401", 6), province=OTHER_PROVINCE)  # not linked to anyone
        return {"here": here, "there": there}

    people = _plant(database, cipher, plant)
    _screen(database, "R03_paid_by_two_provinces")
    cases = _cases(database, "R03_paid_by_two_provinces")
    assert set(cases) == {people["here"]}
    case = cases[people["here"]]
    assert (case.amount_fen, case.period_from, case.period_to) == (900_000, "202404", "202406")
    assert json.loads(case.details) == {"other_province": OTHER_PROVINCE, "other_person_id": people["there"],
                                        "months_paid_twice": 3}


def test_r04_employee_pension_while_in_the_residents_scheme(database, cipher):
    def plant(w: RiskWorld) -> dict:
        both, near = w.pensioner(months=periods("202401", 6)), w.pensioner(months=periods("202401", 6))
        w.participation(both, start=date(2024, 5, 1))  # 202405–202406 overlap
        w.participation(near, start=date(2020, 1, 1), end=date(2023, 12, 31))  # ended before the pension months
        return {"both": both, "near": near}

    people = _plant(database, cipher, plant)
    _screen(database, "R04_exclusive_schemes_together")
    cases = _cases(database, "R04_exclusive_schemes_together")
    assert set(cases) == {people["both"]}
    assert (cases[people["both"]].period_from, cases[people["both"]].period_to) == ("202405", "202406")
    assert cases[people["both"]].severity == "high"


def test_r14_unemployment_benefit_while_a_new_employer_declares_or_pays(database, cipher):
    def plant(w: RiskWorld) -> dict:
        firm = w.employer()
        declared, near, taxed = (w.person(birth=date(1985, 1, 1)) for _ in range(3))
        w.unemployment(declared, periods("202401", 6), separation=date(2023, 12, 15))
        w.declared(declared, firm, periods("202403", 4))  # grace: 202403 is not a finding; 202404–202406 are
        w.unemployment(near, periods("202401", 6), separation=date(2023, 12, 15))
        w.declared(near, firm, ["202406"])  # only the month the declaration starts
        w.declared(near, firm, ["202311"])  # the old job, before the separation
        w.declared(near, w.employer(name="原单位"), periods("202401", 5), base_fen=0)  # billed late, corrected to nothing
        w.unemployment(taxed, periods("202401", 6), separation=date(2023, 12, 15))
        w.tax_wages(taxed, ["202405", "202406"])  # wages from 202405: 202406 is a finding
        return {"declared": declared, "near": near, "taxed": taxed}

    people = _plant(database, cipher, plant)
    _screen(database, "R14_unemployment_while_employed")
    cases = _cases(database, "R14_unemployment_while_employed")
    assert set(cases) == {people["declared"], people["taxed"]}
    declared = cases[people["declared"]]
    assert (declared.amount_fen, declared.period_from, declared.period_to) == (600_000, "202404", "202406")
    assert json.loads(declared.details) == {"first_month_employed": "202403", "months_paid_while_employed": 3}
    assert (cases[people["taxed"]].period_from, cases[people["taxed"]].amount_fen) == ("202406", 200_000)


def test_r15_unemployment_benefit_in_a_month_a_pension_is_paid(database, cipher):
    def plant(w: RiskWorld) -> dict:
        both = w.pensioner(months=periods("202406", 3))
        w.unemployment(both, periods("202401", 6), separation=date(2023, 12, 15))  # 202406 both
        near = w.pensioner(months=periods("202407", 3))
        w.unemployment(near, periods("202401", 6), separation=date(2023, 12, 15))
        return {"both": both}

    people = _plant(database, cipher, plant)
    _screen(database, "R15_unemployment_while_pension")
    cases = _cases(database, "R15_unemployment_while_pension")
    assert set(cases) == {people["both"]}
    assert (cases[people["both"]].amount_fen, cases[people["both"]].period_from) == (200_000, "202406")


def test_r20_a_regions_payroll_jumping_month_on_month(database, cipher):
    def plant(w: RiskWorld) -> None:
        for index in range(100):  # the threshold's 100 receivers, in one street
            award = w.award(w.person())
            w.paid(award, ["202401"], amount_fen=300_000)
            w.paid(award, ["202402"], amount_fen=340_000)  # +13.3%: a jump
            w.paid(award, ["202403"], amount_fen=360_000)  # +5.9%: a near miss
        for _ in range(5):  # a street of five: too few receivers to be judged, whatever its rise
            award = w.award(w.person(region=HAIDIAN_STREET))
            w.paid(award, ["202401"], amount_fen=100_000)
            w.paid(award, ["202402"], amount_fen=900_000)

    _plant(database, cipher, plant)
    result = _screen(database, "R20_payroll_jump")
    with database.transaction() as session:
        found = {(case.region_code, case.period_from): case.amount_fen for case in session.scalars(select(RiskCase))}
    # every level of the street's: province, city, county, street (the province and city include the small street)
    assert set(found) == {("110000", "202402"), ("110100", "202402"), ("110105", "202402"), ("110105001", "202402")}
    assert found[("110105001", "202402")] == 100 * 40_000
    assert result["counts"] == {"R20_payroll_jump": 4}


def test_r16_one_bank_account_behind_the_cards_of_three_receivers(database, cipher):
    shared, pair = "6222020200000000018", "6222020200000000026"

    def plant(w: RiskWorld) -> dict:
        three = [w.pensioner(months=periods("202501", 2)) for _ in range(3)]
        cards = [w.card(person, shared) for person in three]
        two = [w.pensioner(months=periods("202501", 2)) for _ in range(2)]  # a couple: below the threshold of 3
        for person in two:
            w.card(person, pair)
        third = w.pensioner(months=periods("202501", 2))
        w.card(third, "6222020200000000034")
        w.card(w.person(), pair)  # not a receiver: not counted
        return {"three": three, "cards": cards, "third": third, "third_card": w.card(third, pair, state="cancelled")}

    people = _plant(database, cipher, plant)
    result = _screen(database, "R16_shared_bank_account", cipher=cipher)
    assert result["counts"] == {"R16_shared_bank_account": 1}
    with database.transaction() as session:
        case = session.scalar(select(RiskCase))
        assert (case.person_id, case.amount_fen, case.period_from) == (min(people["three"]), 900_000, "202502")
        assert json.loads(case.details)["receivers"] == 3 and case.finding_key.startswith("a:")
        assert shared not in case.details and shared not in case.finding_key  # the account itself is never stored
        world = RiskWorld(session, cipher, NOW)  # the third receiver's card now pays into the couple's account
        active = session.scalar(select(Card.id).where(Card.person_id == people["third"], Card.state == "active"))
        world.change_account(active, pair, datetime(2025, 3, 1, 11, 0))
    again = _screen(database, "R16_shared_bank_account", cipher=cipher)
    assert (again["counts"], again["cases_opened"], again["cases_updated"]) == ({"R16_shared_bank_account": 2}, 1, 1)


def test_rules_without_a_query_or_a_key_are_reported_not_screened(database, cipher):
    _plant(database, cipher, lambda w: None)
    result = _screen(database, "R16_shared_bank_account", "R05_identity_changed_before_retirement",
                     "R01_paid_after_death")
    assert set(result["counts"]) <= {"R01_paid_after_death", "R05_identity_changed_before_retirement"}
    assert "R16_shared_bank_account" in result["not_screened"]  # no field key given: bank accounts are not read
    for reason in result["not_screened"].values():
        assert_bilingual(reason["reason"], reason["reason_en"])


# ---------------------------------------------------------------- cases: once per finding, ever


def test_screening_again_updates_the_open_case_and_opens_nothing_twice(database, cipher):
    def plant(w: RiskWorld) -> int:
        return w.pensioner(months=periods("202401", 8), death=date(2024, 6, 15))

    person = _plant(database, cipher, plant)
    first = _screen(database)
    assert first["cases_opened"] == 1 and first["counts"]["R01_paid_after_death"] == 1
    with database.transaction() as session:  # one more month paid after the death
        world = RiskWorld(session, cipher, NOW)
        world.paid(session.scalar(select(PensionAward.id).where(PensionAward.person_id == person)), ["202409"])
    second = _screen(database)
    assert second["cases_opened"] == 0 and second["cases_updated"] == 1
    case = _cases(database, "R01_paid_after_death")[person]
    assert (case.amount_fen, case.period_to, case.last_seen_run_id, case.opened_run_id) == (
        900_000, "202409", second["run_id"], first["run_id"])
    with database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(RiskCaseEvent)) == 1  # opened once
        assert session.scalar(select(func.count()).select_from(RiskCase)) == 1


def test_a_concluded_case_is_never_reopened(database, cipher):
    person = _plant(database, cipher, lambda w: w.pensioner(months=periods("202401", 8), death=date(2024, 6, 15)))
    _screen(database, "R01_paid_after_death")
    case = _cases(database, "R01_paid_after_death")[person]
    with database.transaction() as session:
        RiskWorld(session, cipher, NOW).conclude(case.id, "cleared")
    again = _screen(database, "R01_paid_after_death")
    assert again["cases_opened"] == 0 and again["cases_updated"] == 0 and again["counts"]["R01_paid_after_death"] == 1
    after = _cases(database, "R01_paid_after_death")[person]
    assert (after.id, after.status, after.last_seen_run_id) == (case.id, "cleared", case.last_seen_run_id)


def test_counts_per_rule_and_the_run_kept_and_audited(database, cipher):
    _plant(database, cipher, lambda w: w.pensioner(months=periods("202401", 8), death=date(2024, 6, 15)))
    result = _screen(database)
    for rule_id in ("R01_paid_after_death", "R02_paid_during_sentence", "R03_paid_by_two_provinces",
                    "R04_exclusive_schemes_together", "R14_unemployment_while_employed",
                    "R15_unemployment_while_pension", "R20_payroll_jump"):
        assert rule_id in result["counts"] and rule_id in result["timings_ms"]
    assert result["counts"]["R01_paid_after_death"] == 1 and result["findings"] == sum(result["counts"].values())
    assert set(result["counts"]).isdisjoint(result["not_screened"])
    with database.transaction() as session:
        run = session.get(RiskScreeningRun, result["run_id"])
        assert json.loads(run.counts) == result["counts"] and run.cases_opened == result["cases_opened"]
        from shebao.core.audit import AuditRecord
        audited = session.scalars(select(AuditRecord).where(AuditRecord.action == "risk.screen")).all()
        assert [record.subject for record in audited] == [f"risk_screening_run:{run.id}"]


@pytest.mark.parametrize(("province", "as_of", "rules", "code"), [
    ("990000", AS_OF, None, "risk.screen.province"),
    ("11", AS_OF, None, "risk.screen.province"),
    ("110105", AS_OF, None, "risk.screen.province"),
    (PROVINCE, date(2025, 3, 2), None, "risk.screen.as_of"),
    (PROVINCE, date(1990, 1, 1), None, "risk.screen.as_of"),
    (PROVINCE, AS_OF, ["R99_made_up"], "risk.screen.rule"),
    (PROVINCE, AS_OF, ["R21_second_pension_award"], "risk.screen.rule"),
    (PROVINCE, AS_OF, [], "risk.screen.rule"),
])
def test_bad_input_is_refused_and_nothing_is_written(database, cipher, province, as_of, rules, code):
    _plant(database, cipher, lambda w: w.pensioner(months=periods("202401", 8), death=date(2024, 6, 15)))
    with pytest.raises(InvalidInput) as refused, database.transaction() as session:
        screen_province(session=session, province=province, as_of=as_of, actor="staff:test", now=NOW, rules=rules)
    assert refused.value.code == code
    assert_bilingual(refused.value.reason, refused.value.reason_en)
    with database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(RiskScreeningRun)) == 0
        assert session.scalar(select(func.count()).select_from(RiskCase)) == 0


# ---------------------------------------------------------------- the command line


def test_cli_prints_counts_per_rule_as_json_and_refuses_bad_input(database, database_url, cipher):
    from shebao.cli import app

    _plant(database, cipher, lambda w: w.pensioner(months=periods("202401", 8), death=date(2024, 6, 15)))
    runner = CliRunner()
    ran = runner.invoke(app, ["risk", "screen", "--province", PROVINCE, "--as-of", "2025-02-28", "--rule",
                              "R01_paid_after_death", "--rule", "R16_shared_bank_account", "--db", database_url, "--json"])
    assert ran.exit_code == 0, ran.output
    shown = json.loads(ran.stdout)
    assert set(shown) >= {"run_id", "province", "as_of", "counts", "timings_ms", "cases_opened", "findings",
                          "not_screened"}
    assert (shown["province"], shown["as_of"], shown["counts"], shown["cases_opened"], shown["findings"]) == (
        PROVINCE, "2025-02-28", {"R01_paid_after_death": 1, "R16_shared_bank_account": 0}, 1, 1)
    assert shown["not_screened"] == {}  # the command reads bank accounts with the field key
    human = runner.invoke(app, ["risk", "screen", "--province", PROVINCE, "--as-of", "2025-02-28", "--db", database_url])
    assert human.exit_code == 0, human.output
    assert "R01_paid_after_death" in human.stdout and "cases opened" in human.stdout
    for bad in (["--province", "99"], ["--province", PROVINCE, "--as-of", "2025-13-01"],
                ["--province", PROVINCE, "--rule", "R99"], ["--province", PROVINCE, "--as-of", "2999-01-01"]):
        refused = runner.invoke(app, ["risk", "screen", *bad, "--db", database_url, "--json"])
        assert refused.exit_code == 1, (bad, refused.output)
        assert "Traceback" not in refused.output and json.loads(refused.stdout)["error"]["reason_en"]


# ---------------------------------------------------------------- over HTTP


def test_api_screens_for_province_staff_and_refuses_the_rest(client, database, cipher, clock):
    from shebao.core.security import Role
    from tests.support import make_user, token_for

    _plant(database, cipher, lambda w: w.pensioner(months=periods("202401", 8), death=date(2024, 6, 15)))
    make_user(database, clock, "province", Role.STAFF, region_code=PROVINCE)
    make_user(database, clock, "county", Role.STAFF, region_code="110105")
    make_user(database, clock, "auditor", Role.AUDITOR)
    province, county, auditor = (token_for(client, name) for name in ("province", "county", "auditor"))

    made = client.post("/api/v1/risk/screenings", json={"province": PROVINCE, "as_of": "2025-02-28",
                                                        "rules": ["R01_paid_after_death"]}, headers=province)
    assert made.status_code == 201, made.text
    assert (made.json()["counts"], made.json()["cases_opened"]) == ({"R01_paid_after_death": 1}, 1)
    listed = client.get("/api/v1/risk/screenings", params={"province": PROVINCE}, headers=auditor)
    assert listed.status_code == 200 and [run["run_id"] for run in listed.json()["screenings"]] == [made.json()["run_id"]]

    assert client.post("/api/v1/risk/screenings", json={"province": PROVINCE}, headers=county).status_code == 403
    assert client.post("/api/v1/risk/screenings", json={"province": PROVINCE}, headers=auditor).status_code == 403
    for body in ({"province": PROVINCE, "as_of": "2025-03-05"}, {"province": PROVINCE, "rules": ["R99"]},
                 {"province": "11"}, {"province": PROVINCE, "as_of": "yesterday"}, {}):
        refused = client.post("/api/v1/risk/screenings", json=body, headers=province)
        assert 400 <= refused.status_code < 500, (body, refused.text)
        assert refused.json()["error"]["reason"] and refused.json()["error"]["reason_en"], (body, refused.text)
    assert client.get("/api/v1/risk/screenings", params={"province": "x"}, headers=province).status_code == 422
    with database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(RiskScreeningRun)) == 1
