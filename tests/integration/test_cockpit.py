"""The cockpit's figures on a real database (SQLite, and PostgreSQL when configured): a small world of two provinces
is refreshed into the summary tables, and every figure of the country, a province, a city, a county and a street is
recomputed here another way — every row loaded and filtered in Python — and compared; the children drill down; a
second refresh gives the same figures; a bad region or one outside the caller's scope is refused; the command and
the API answer."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from shebao.cards.models import Card, ElectronicCard
from shebao.cli import app
from shebao.comparison.models import CompareFinding, CompareRun
from shebao.core.clock import FixedClock
from shebao.core.errors import InvalidInput, NotFound
from shebao.core.security import SYSTEM, Principal, Role
from shebao.enrollment.models import Participation
from shebao.ledger import chart
from shebao.ledger import service as ledger
from shebao.ledger.models import JournalEntry, JournalLine, LedgerAccount
from shebao.ledger.rules import AccountKind, Line
from shebao.registry import service as registry
from shebao.registry.models import Person
from shebao.registry.schemas import PersonCreate
from shebao.risk import cockpit
from shebao.risk.models import CockpitRegionFigure, RiskCase, RiskRecovery, RiskRecoveryMovement
from tests.support import CHAOYANG, CHAOYANG_STREET, HAIDIAN_STREET, add_test_streets, id_number, make_user, token_for

AS_OF = date(2024, 12, 31)
NOW = datetime(2025, 3, 1, 2, 0, tzinfo=UTC)
AT = datetime(2024, 6, 1, 2, 0)
HARBIN = "230102"
PUDONG = "310115"
# Where each person lives: Beijing's two streets, a Harbin county (no street), Shanghai's Pudong.
HOMES = [CHAOYANG_STREET] * 4 + [HAIDIAN_STREET] * 2 + [HARBIN] * 2 + [PUDONG]
REGIONS = ["000000", "110000", "110100", CHAOYANG, CHAOYANG_STREET, "230000", HARBIN]


def _within(code: str | None, region: str) -> bool:
    if code is None:
        return False
    prefix = {"000000": ""}.get(region, region[:2] if region.endswith("0000") else
                                region[:4] if region.endswith("00") and len(region) == 6 else region)
    return code.startswith(prefix)


@pytest.fixture
def world(database, cipher, clock):
    add_test_streets(database, clock)
    with database.transaction() as session:
        people = [registry.register_person(session=session, cipher=cipher, principal=SYSTEM, now=clock.now(),
                                           command=PersonCreate(id_number=id_number(birth=date(1970 + i, 3, 1),
                                                                                    sequence=101 + 2 * i),
                                                                name="居民" + "甲乙丙丁戊己庚辛壬"[i], hukou_region_code=CHAOYANG,
                                                                residence_region_code=home)).id
                  for i, home in enumerate(HOMES)]
        _participations(session, people)
        _cards(session, people)
        _comparison(session, people)
        _cases(session, people)
        _funds(session, clock)
    return people


def _participations(session, people: list[int]) -> None:
    def join(person, scheme, group, start, end=None, status="active"):
        session.add(Participation(person_id=person, scheme=scheme, exclusion_group=group, mode="flexible",
                                  region_code=CHAOYANG_STREET, province="110000", start_date=start, end_date=end,
                                  status=status, created_at=AT, updated_at=AT))

    for index, person in enumerate(people):
        if index in (0, 1, 4, 6, 8):
            join(person, "employee_pension", "pension", date(2020, 1, 1))
            join(person, "medical", "medical", date(2020, 1, 1))
    join(people[2], "resident_pension", "pension", date(2023, 5, 1))
    join(people[3], "employee_pension", "pension", date(2019, 1, 1), end=date(2024, 6, 30), status="ended")  # ended
    join(people[5], "employee_pension", "pension", date(2025, 1, 1))  # begins after the day
    join(people[0], "employee_pension", "pension", date(2021, 1, 1))  # a second one: the person counts once
    join(people[7], "unemployment", "unemployment", date(2022, 1, 1), end=AS_OF, status="ended")  # ends on the day


def _cards(session, people: list[int]) -> None:
    states = {0: ("active", date(2023, 1, 5)), 1: ("frozen", date(2023, 2, 5)), 2: ("applied", None),
              4: ("active", date(2025, 1, 5)), 6: ("issued", date(2024, 3, 3)), 7: ("cancelled", date(2020, 1, 1)),
              8: ("active", date(2024, 1, 1))}
    for index, (state, issued) in states.items():
        session.add(Card(person_id=people[index], province="110000", state=state, issue_date=issued,
                         applied_region=CHAOYANG_STREET, pin_failures=0, bank_frozen=False, created_at=AT,
                         updated_at=AT))
    session.flush()
    cards = {c.person_id: c.id for c in session.scalars(select(Card))}
    for index, opened, closed in ((0, AT, None), (1, AT, datetime(2024, 9, 1)), (6, datetime(2025, 1, 2), None),
                                  (8, AT, datetime(2025, 2, 1))):
        session.add(ElectronicCard(card_id=cards[people[index]], person_id=people[index], device_tag="d",
                                   opened_at=opened, closed_at=closed))


def _comparison(session, people: list[int]) -> None:
    def run(province, as_of, findings):
        found = CompareRun(province=province, as_of=as_of, engine="duckdb", inputs_digest="x", lists_digest="x",
                           counts="{}", cases_opened=0, cases_closed=0, actor="test", started_at=AT, finished_at=AT)
        session.add(found)
        session.flush()
        for n, (kind, region) in enumerate(findings):
            session.add(CompareFinding(run_id=found.id, list_kind=kind, finding_key=f"{found.id}:{n}", region_code=region,
                                       amount_fen=0, months=0, people_reported=0, people_insured=0, reason=""))

    run("110000", date(2024, 6, 30), [("uninsured", CHAOYANG_STREET)] * 5)  # superseded by the next
    run("110000", date(2024, 12, 1), [("uninsured", CHAOYANG_STREET), ("uninsured", CHAOYANG_STREET),
                                      ("uninsured", HAIDIAN_STREET), ("interrupted", CHAOYANG_STREET),
                                      ("deceased_paid", CHAOYANG_STREET)])
    run("110000", date(2025, 2, 1), [("uninsured", CHAOYANG_STREET)] * 9)  # after the day
    run("230000", date(2024, 11, 1), [("uninsured", HARBIN), ("interrupted", HARBIN), ("interrupted", HARBIN)])
    run("000000", date(2024, 12, 2), [("uninsured", CHAOYANG_STREET)] * 7)  # the national pass: not read


def _cases(session, people: list[int]) -> None:
    for n, (region, severity, status, amount, opened) in enumerate((
            (CHAOYANG_STREET, "high", "open", 600_000, AT), (CHAOYANG_STREET, "low", "assigned", 0, AT),
            (HAIDIAN_STREET, "high", "investigating", 10_000, AT), (CHAOYANG_STREET, "medium", "cleared", 5, AT),
            (HARBIN, "critical", "open", 6_000_000, AT), (CHAOYANG_STREET, "low", "open", 1, datetime(2025, 1, 5)),
            (CHAOYANG_STREET, "high", "confirmed", 90_000, AT))):
        session.add(RiskCase(rule_id="R01", finding_key=str(n), province=region[:2] + "0000", region_code=region,
                             subject_kind="person", person_id=people[0], severity=severity, amount_fen=amount,
                             details="{}", status=status, opened_at=opened, updated_at=opened))
    session.flush()
    confirmed = session.scalar(select(RiskCase.id).where(RiskCase.status == "confirmed"))
    recovery = RiskRecovery(case_id=confirmed, person_id=people[0], region_code=CHAOYANG_STREET, debtor="person",
                            amount_fen=90_000, recovered_fen=0, written_off_fen=0, offset_allowed=True, status="open",
                            opened_by="t", opened_at=AT)
    session.add(recovery)
    session.flush()
    for n, (kind, amount, at) in enumerate((("repayment", 10_000, AT), ("offset", 2_500, datetime(2024, 12, 31, 15)),
                                             ("write_off", 3_000, AT), ("repayment", 7_000, datetime(2025, 1, 1)))):
        session.add(RiskRecoveryMovement(recovery_id=recovery.id, kind=kind, amount_fen=amount, idempotency_key=f"k{n}",
                                         note="", actor="t", at=at))


def _funds(session, clock) -> None:
    def account(kind, province, insurance=None):
        target = chart.pooling_fund(insurance, province=province) if insurance else \
            chart.province_account(kind, province=province)
        return ledger.account_id(session=session, account=target, now=clock.now())

    moves = [("110000", "pension", "202409", -1_000_000), ("110000", "pension", "202411", 300_000),
             ("110000", "pension", "202412", -200_000), ("110000", "pension", "202412", 150_000),
             ("110000", "medical", "202410", -80_000), ("110000", "pension", "202501", 999),
             ("230000", "pension", "202412", -40_000), ("230000", "pension", "202412", 70_000)]
    for n, (province, insurance, period, amount) in enumerate(moves):
        cash = account(AccountKind.CASH, province)
        ledger.post_entry(session=session, key=f"test:cockpit:{n}", province=province, period=period, kind="test",
                          memo="test", lines=[Line(account(None, province, insurance), amount), Line(cash, -amount)],
                          actor="test", now=clock.now())


def _refresh(database, province=None, as_of=AS_OF) -> dict:
    with database.transaction() as session:
        return cockpit.refresh(session=session, province=province, as_of=as_of, now=NOW)


def _figures(database, region, principal=SYSTEM, **extra) -> dict:
    with database.unit_of_work() as uow:
        return cockpit.figures(session=uow.session, principal=principal, region=region, **extra)


def _expected(database, region: str) -> dict:
    """Every figure of the region from the rows themselves."""
    next_day = datetime(2025, 1, 1)
    with database.unit_of_work() as uow:
        s = uow.session
        home = {p.id: p.residence_region_code for p in s.scalars(select(Person))}
        mine = {pid for pid, code in home.items() if _within(code, region)}
        in_force = [p for p in s.scalars(select(Participation)) if p.person_id in mine and p.start_date <= AS_OF
                    and (p.end_date is None or p.end_date >= AS_OF)]
        insured: dict[str, set[int]] = {}
        for p in in_force:
            insured.setdefault(p.scheme, set()).add(p.person_id)
        pension = {p.person_id for p in in_force if p.exclusion_group == "pension"}
        runs = list(s.scalars(select(CompareRun)))
        latest = {}
        for r in runs:
            if r.as_of <= AS_OF and r.province != "000000" and r.id > latest.get(r.province, 0):
                latest[r.province] = r.id
        findings = [f.list_kind for f in s.scalars(select(CompareFinding)) if f.run_id in latest.values()
                    and _within(f.region_code, region)]
        cards = {c.person_id for c in s.scalars(select(Card)) if c.person_id in mine
                 and c.state in ("issued", "active", "frozen") and c.issue_date <= AS_OF}
        ecards = {e.person_id for e in s.scalars(select(ElectronicCard)) if e.person_id in mine
                  and e.opened_at < next_day and (e.closed_at is None or e.closed_at >= next_day)}
        cases = [c for c in s.scalars(select(RiskCase)) if _within(c.region_code, region)
                 and c.status in ("open", "assigned", "investigating") and c.opened_at < next_day]
        by_severity: dict[str, int] = {}
        at_stake: dict[str, int] = {}
        for c in cases:
            by_severity[c.severity] = by_severity.get(c.severity, 0) + 1
            at_stake[c.severity] = at_stake.get(c.severity, 0) + c.amount_fen
        recovered: dict[str, int] = {}
        for m, r in s.execute(select(RiskRecoveryMovement, RiskRecovery).join(
                RiskRecovery, RiskRecovery.id == RiskRecoveryMovement.recovery_id)).all():
            if _within(r.region_code, region) and m.kind in ("repayment", "offset") and m.at < next_day:
                recovered[m.kind] = recovered.get(m.kind, 0) + m.amount_fen
    uninsured = findings.count("uninsured")
    should = len(pension) + uninsured
    return {"coverage": {"insured": len(pension), "uninsured": uninsured, "should_be_insured": should,
                         "rate": f"{len(pension) / should:.4f}" if should else None},
            "card_holders": len(cards), "ecard_holders": len(ecards),
            "interrupted": findings.count("interrupted"),
            "insured_by_insurance": {k: len(v) for k, v in sorted(insured.items())},
            "open_cases": {"total": len(cases), "by_severity": dict(sorted(by_severity.items())),
                           "amount_fen": sum(at_stake.values()), "amount_fen_by_severity": dict(sorted(at_stake.items()))},
            "recovered_fen": {"total": sum(recovered.values()), "by_movement": dict(sorted(recovered.items()))}}


def _expected_fund(database, provinces: tuple[str, ...]) -> dict:
    with database.unit_of_work() as uow:
        lines = uow.session.execute(select(LedgerAccount.code, JournalEntry.period, JournalLine.amount_fen)
                                    .join(JournalLine, JournalLine.account_id == LedgerAccount.id)
                                    .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)).all()
    funds: dict[str, dict] = {}
    for code, period, amount in lines:
        kind, insurance, province = (code.split(":") + ["", ""])[:3]
        if kind != "pool" or province not in provinces or period > "202412":
            continue
        fund = funds.setdefault(insurance, {"balance": 0, "spent": {}})
        fund["balance"] -= amount
        if amount > 0:
            fund["spent"][period] = fund["spent"].get(period, 0) + amount
    return funds


def test_every_figure_at_every_level_equals_an_independent_count(database, world):
    result = _refresh(database)
    assert result["region_rows"] > 0 and result["fund_rows"] > 0
    for region in REGIONS:
        got = _figures(database, region)
        assert got["as_of"] == AS_OF.isoformat()
        assert got["figures"] == _expected(database, region), region
    street = _figures(database, CHAOYANG_STREET)["figures"]
    # The hand-checked street: three persons in a pension (one twice, one ended, one not yet begun), two uninsured.
    assert street["coverage"] == {"insured": 3, "uninsured": 2, "should_be_insured": 5, "rate": "0.6000"}
    assert street["recovered_fen"] == {"total": 12_500, "by_movement": {"offset": 2_500, "repayment": 10_000}}


def test_children_drill_down_and_sum_to_their_parent(database, world):
    _refresh(database)
    country = _figures(database, "000000")
    assert [c["region"] for c in country["children"]] == ["110000", "230000", "310000"]
    beijing = _figures(database, "110000")
    assert [c["region"] for c in beijing["children"]] == ["110100"]
    assert beijing["children"][0]["figures"] == _expected(database, "110100")
    county = _figures(database, CHAOYANG)
    assert [c["region"] for c in county["children"]] == [CHAOYANG_STREET]
    streets = _figures(database, "110000", level="street")
    assert [c["region"] for c in streets["children"]] == [CHAOYANG_STREET, HAIDIAN_STREET]
    for child in streets["children"]:
        assert child["figures"] == _expected(database, child["region"])
    assert _figures(database, CHAOYANG_STREET)["children"] == []
    assert beijing["projection_chart"] == "/api/v1/fund/projection.svg?province=110000"


def test_fund_income_spending_balance_and_months_covered(database, world):
    _refresh(database)
    for region, provinces in (("110000", ("110000",)), ("000000", ("110000", "230000"))):
        fund = _figures(database, region)["fund"]
        expected = _expected_fund(database, provinces)
        assert set(fund["by_insurance"]) == set(expected)
        for insurance, want in expected.items():
            got = fund["by_insurance"][insurance]
            assert got["balance_fen"] == want["balance"]
            assert {m["period"]: m["spending_fen"] for m in got["months"] if m["spending_fen"]} == want["spent"]
            assert got["months"][-1]["period"] == "202412"
    pension = _figures(database, "110000")["fund"]["by_insurance"]["pension"]
    # 750,000 held after four months (202409–202412) that spent 450,000: 4 × 750,000 ÷ 450,000 = 6.67 months.
    assert pension["balance_fen"] == 750_000 and pension["months_covered"] == "6.7"
    assert [m["period"] for m in pension["months"]] == ["202409", "202410", "202411", "202412"]
    assert _figures(database, CHAOYANG)["fund"]["by_insurance"] == {}


def test_refreshing_twice_gives_the_same_figures_and_a_province_alone_keeps_the_others(database, world):
    _refresh(database)
    first = {region: _figures(database, region) for region in REGIONS}
    with database.unit_of_work() as uow:
        rows = uow.session.scalar(select(func.count()).select_from(CockpitRegionFigure))
    _refresh(database)
    _refresh(database, province="110000")
    with database.unit_of_work() as uow:
        assert uow.session.scalar(select(func.count()).select_from(CockpitRegionFigure)) == rows
    for region in REGIONS:
        assert _figures(database, region)["figures"] == first[region]["figures"], region
        assert _figures(database, region)["fund"] == first[region]["fund"], region


def test_as_of_picks_the_latest_refresh_by_that_day(database, world):
    _refresh(database, as_of=date(2024, 7, 1))
    _refresh(database)
    assert _figures(database, "110000", as_of=date(2024, 8, 1))["as_of"] == "2024-07-01"
    assert _figures(database, "110000")["as_of"] == AS_OF.isoformat()
    assert _figures(database, "110000", as_of=date(2024, 1, 1))["as_of"] is None


def test_bad_regions_levels_and_scope_are_refused(database, world):
    _refresh(database)
    for bad in ("", "11", "abcdef", "1100001", "990000"):
        with pytest.raises(InvalidInput):
            _figures(database, bad)
    with pytest.raises(InvalidInput):
        _figures(database, CHAOYANG, level="city")
    with pytest.raises(InvalidInput):
        _refresh(database, province="110105")
    with pytest.raises(InvalidInput):
        _refresh(database, as_of=date(2025, 3, 2))
    clerk = Principal(user_id=1, username="clerk", role=Role.STAFF, region_code=CHAOYANG)
    assert _figures(database, CHAOYANG_STREET, principal=clerk)["figures"]["card_holders"] == 2
    for outside in ("110000", "000000", HARBIN):
        with pytest.raises(NotFound):
            _figures(database, outside, principal=clerk)
    insured = Principal(user_id=2, username="p", role=Role.INSURED, person_id=world[0])
    with pytest.raises(NotFound):
        _figures(database, CHAOYANG_STREET, principal=insured)


def test_the_command_refreshes_and_answers_json_and_refusals(database, database_url, world, monkeypatch):
    monkeypatch.setenv("SHEBAO_DATABASE_URL", database_url)
    runner = CliRunner()
    refreshed = runner.invoke(app, ["cockpit", "refresh", "--as-of", "2024-12-31", "--json"])
    assert refreshed.exit_code == 0, refreshed.output
    assert json.loads(refreshed.output)["as_of"] == "2024-12-31"
    shown = runner.invoke(app, ["cockpit", "figures", "--region", "110000", "--json"])
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.output)["figures"] == _expected(database, "110000")
    table = runner.invoke(app, ["cockpit", "figures", "--region", "110000"])
    assert table.exit_code == 0 and "110100" in table.output
    for arguments in (["figures", "--region", "xyz"], ["figures", "--region", "110000", "--as-of", "2024-13-01"],
                      ["figures", "--region", "110105", "--level", "province"], ["refresh", "--province", "12"],
                      ["refresh", "--as-of", "nope"]):
        refused = runner.invoke(app, ["cockpit", *arguments, "--json"])
        assert refused.exit_code == 1, (arguments, refused.output)
        assert "Traceback" not in refused.output and json.loads(refused.output)["error"]["reason_en"]


def test_the_api_answers_within_scope_only(client, database, world):
    _refresh(database)
    clock = FixedClock(NOW)
    make_user(database, clock, "county-clerk", Role.STAFF, region_code=CHAOYANG)
    make_user(database, clock, "reader", Role.AUDITOR)
    clerk, reader = token_for(client, "county-clerk"), token_for(client, "reader")
    ok = client.get("/api/v1/cockpit/figures", params={"region": CHAOYANG}, headers=clerk)
    assert ok.status_code == 200, ok.text
    assert ok.json()["figures"] == _expected(database, CHAOYANG)
    assert client.get("/api/v1/cockpit/figures", params={"region": "110000"}, headers=clerk).status_code == 403
    country = client.get("/api/v1/cockpit/figures", params={"region": "000000", "as_of": "2024-12-31"}, headers=reader)
    assert country.status_code == 200 and country.json()["figures"] == _expected(database, "000000")
    for params in ({"region": "x"}, {"region": "110000", "as_of": "soon"}, {"region": "110000", "level": "planet"}, {}):
        assert client.get("/api/v1/cockpit/figures", params=params, headers=reader).status_code == 422, params
    assert client.get("/api/v1/cockpit/figures", params={"region": "110000"}).status_code == 401
