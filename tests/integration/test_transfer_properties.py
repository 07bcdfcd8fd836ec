"""Property: a transfer conserves money and months. Random careers leave archive years in two to four provinces
(and a personal-account balance in one of them); the person then moves to Beijing and the transfer is taken through
every step, or refused before the funds are sent. At every step the country's pooling funds plus personal accounts
and its cash plus the money in transit are unchanged, the personal account is unchanged, and the months the
provinces hold add up to the same; the pooled part is 12% of the old province's bases since 1998, half up; a
refusal moves nothing. A failure between "sent" and "received" leaves the whole amount in transit."""

from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from shebao.benefits.archive import bring_forward
from shebao.benefits.schemas import ArchiveYear
from shebao.core.clock import FixedClock
from shebao.core.errors import Conflict
from shebao.core.security import SYSTEM
from shebao.ledger import chart
from shebao.ledger import service as ledger
from shebao.ledger.rules import AccountKind
from shebao.policy.store import default_store
from shebao.transfers import service
from shebao.transfers.schemas import TransferApply, TransferStepTake
from tests.integration.test_correction_properties import _fresh
from tests.support import CHAOYANG, add_test_streets, register

PROVINCES = ["310000", "320000", "440000", "510000"]
NEW = "110000"
APPLIED = datetime(2025, 6, 2, 2, 0, tzinfo=UTC)
NOW = datetime(2025, 6, 20, 2, 0, tzinfo=UTC)
STEPS = [("letter_sent", date(2025, 6, 3)), ("checked", date(2025, 6, 5)), ("funds_sent", date(2025, 6, 9)),
         ("received", date(2025, 6, 11)), ("completed", date(2025, 6, 12))]

block = st.fixed_dictionaries({"years": st.integers(1, 5), "months": st.integers(1, 12),
                               "base": st.integers(200_000, 3_000_000)})
career = st.fixed_dictionaries({
    "provinces": st.lists(st.sampled_from(PROVINCES), min_size=2, max_size=4, unique=True),
    "blocks": st.lists(block, min_size=4, max_size=4), "first_year": st.integers(1992, 2004),
    "balance": st.integers(0, 30_000_000), "balance_in": st.integers(0, 3),
    "refuse_at": st.sampled_from([None, None, "letter_sent", "checked", "funds_sent"])})


def _archive(database, clock, person, c) -> tuple[str, int, int]:
    """The career's archive years, province after province; returns (the last province, its bases since 1998, the
    balance's province)."""
    year, bases = c["first_year"], {}
    balance_province = c["provinces"][c["balance_in"] % len(c["provinces"])]
    with database.transaction() as session:
        for province, b in zip(c["provinces"], c["blocks"], strict=False):
            rows = [ArchiveYear(person_id=person, province=province, year=year + k, kind="archive", months=b["months"],
                                base_sum_fen=b["base"] * b["months"], average_wage_fen=600_000) for k in range(b["years"])]
            bases[province] = sum(r.base_sum_fen for r in rows if r.year >= 1998)
            year += b["years"]
            bring_forward(session=session, province=province, years=rows,
                          balances={person: c["balance"]} if c["balance"] and province == balance_province else {},
                          period="202401", actor="test", now=clock.now())
    last = c["provinces"][-1]
    return last, bases[last], balance_province


def _figures(database, person) -> dict:
    with database.unit_of_work() as uow:
        session = uow.session
        trial = ledger.trial_balance(session=session)
        transit = ledger.find_account(session=session, account=chart.province_account(
            AccountKind.TRANSFER_TRANSIT, province=service.NATIONAL))
        held = service.holdings(session=session, store=default_store(), person_id=person)
        return {"funds": trial.get("pooling_fund", 0) + trial.get("personal_account", 0),
                "cash": trial.get("cash", 0) + trial.get("transfer_transit", 0),
                "account": ledger.personal_account_balance(session=session, person_id=person),
                "months": sum(h.months for h in held.values()), "all_months": sum(h.all_months for h in held.values()),
                "transit": ledger.balance(session=session, account_id=transit) if transit else 0,
                "held": {p: (h.months, h.base_sum_fen, h.personal_account_fen) for p, h in held.items()},
                "unbalanced": ledger.unbalanced_entries(session=session), "total": sum(trial.values())}


def _step(database, transfer_id, step, on, **figures):
    with database.transaction() as session:
        return service.take_step(session=session, principal=SYSTEM, transfer_id=transfer_id, now=NOW,
                                  command=TransferStepTake(step=step, on=on, **figures))


def _apply(database, cipher, person) -> dict:
    with database.transaction() as session:
        return service.apply(session=session, principal=SYSTEM, cipher=cipher, now=APPLIED,
                             command=TransferApply(person_id=person, to_region=CHAOYANG, starts_on=date(2025, 6, 1)))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow],
          phases=[Phase.explicit, Phase.reuse, Phase.generate])  # a failure is shown as drawn: shrinking takes minutes
@given(c=career)
def test_a_transfer_conserves_money_and_months(request, database_url, tmp_path, cipher, c):
    clock = FixedClock(APPLIED)
    database = _fresh(request, database_url, tmp_path)
    add_test_streets(database, clock)
    person = register(database, cipher, clock, birth=date(1975, 3, 1), sequence=101, hukou=CHAOYANG)
    old, bases, balance_province = _archive(database, clock, person, c)
    before = _figures(database, person)
    transfer = _apply(database, cipher, person)
    assert transfer["kind"] == "move" and transfer["from_province"] == old

    def unchanged(now: dict) -> None:
        for key in ("funds", "cash", "account", "months", "all_months"):
            assert now[key] == before[key], key
        assert now["unbalanced"] == [] and now["total"] == 0

    for step, on in STEPS:
        if step == c["refuse_at"]:
            _step(database, transfer["id"], "refused", on, note="材料不全 papers missing")
            after = _figures(database, person)
            unchanged(after)
            assert after["held"] == before["held"] and after["transit"] == before["transit"]  # nothing moved
            break
        read = _step(database, transfer["id"], step, on)
        unchanged(_figures(database, person))
    else:
        pooled = int((Decimal(bases) * Decimal("0.12")).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        account = c["balance"] if balance_province == old else 0
        assert (read["pooled_fen"], read["personal_account_fen"]) == (pooled, account)
        after = _figures(database, person)
        assert after["held"].get(old, (0, 0, 0)) == (0, 0, 0)  # the months since 1998, their bases, the account
        assert after["held"].get(NEW, (0, 0, 0)) == before["held"].get(old, (0, 0, 0))
        assert after["transit"] == 0
    database.dispose()


@pytest.mark.parametrize("balance", [12_345_678])
def test_a_failure_between_sent_and_received_leaves_the_money_in_transit(database, cipher, balance):
    clock = FixedClock(APPLIED)
    add_test_streets(database, clock)
    person = register(database, cipher, clock, birth=date(1975, 3, 1), sequence=101, hukou=CHAOYANG)
    c = {"provinces": ["440000", "310000"], "first_year": 1996, "balance": balance, "balance_in": 1,
         "blocks": [{"years": 4, "months": 12, "base": 500_000}, {"years": 6, "months": 10, "base": 1_234_567}]}
    _archive(database, clock, person, c)
    before = _figures(database, person)
    transfer = _apply(database, cipher, person)
    for step, on in STEPS[:3]:
        read = _step(database, transfer["id"], step, on)
    total = read["pooled_fen"] + read["personal_account_fen"]
    assert total == balance + int((Decimal(6 * 10 * 1_234_567) * Decimal("0.12")).quantize(Decimal(1), ROUND_HALF_UP))
    sent = _figures(database, person)
    assert sent["transit"] == total and sent["cash"] == before["cash"] and sent["funds"] == before["funds"]
    # The new province's receipt fails (a wrong amount): nothing of it is written, the money waits in transit.
    with pytest.raises(Conflict):
        _step(database, transfer["id"], "received", STEPS[3][1], amount_fen=total - 1)
    failed = _figures(database, person)
    assert failed["transit"] == total and failed["unbalanced"] == [] and failed["total"] == 0
    assert failed["months"] == before["months"] and failed["account"] == balance
    _step(database, transfer["id"], "received", STEPS[3][1], amount_fen=total)
    assert _figures(database, person)["transit"] == 0
