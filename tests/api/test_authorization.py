"""Every route in the OpenAPI document × every role × a subject inside the caller's scope, one outside it and
one that does not exist — generated from the document and the permission table, so a new endpoint is
covered the day it is added.

It fails on: a route the table does not declare; a role refused that the table allows (or allowed that it
refuses); an auditor allowed to write; any success outside the caller's scope; and any difference between
the answer for a stranger's record and the answer for no record at all.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from datetime import date

import pytest
from sqlalchemy import insert
from stdnum import luhn

from shebao.accounts.models import User
from shebao.cards import bank
from shebao.cards import batch as production
from shebao.cards.models import Card
from shebao.cards.schemas import BlacklistEntryCreate
from shebao.comparison.models import LinkCandidate
from shebao.contributions import corrections
from shebao.contributions import service as contributions
from shebao.contributions.batch import run_month_end
from shebao.contributions.models import Refund
from shebao.contributions.schemas import BaseCorrect, BaseDeclare
from shebao.core.clock import utc_naive
from shebao.core.security import SYSTEM, Role
from shebao.demo.seed import demo_credit_code
from shebao.enrollment import service as enrollment
from shebao.enrollment.schemas import EmployeeHire, ParticipationCreate
from shebao.registry import service as registry
from shebao.registry.models import DeathReview
from shebao.registry.schemas import EmployerCreate, PersonCreate
from shebao.services.permissions import API, Scope, SubjectKind, permission_for
from shebao.transfers.models import Transfer
from tests.support import (
    CHAOYANG,
    CHAOYANG_STREET,
    PASSWORD,
    add_test_streets,
    give_active_card,
    id_number,
    make_user,
    token_for,
)

PUDONG = "310115"
NOBODY = 9_999_999
UNUSED_CARD_NUMBER = "1199999999" + luhn.calc_check_digit("1199999999")
K = SubjectKind


@dataclass
class Side:
    """The subjects of one side of the world: what its own users (and its clerk) may handle."""

    person: int = 0
    employee: int = 0
    employer: int = 0
    card: int = 0
    card_number: str = ""
    participation: int = 0
    employee_participation: int = 0
    bill: int = 0
    blacklist_entry: int = 0
    card_batch: int = 0
    death_review: int = 0
    base_declaration: int = 0
    employee_base_declaration: int = 0
    correction: int = 0
    refund: int = 0
    bank_batch: int = 0
    payout_line: int = 0
    transfer: int = 0
    comparison_case: int = 0
    link_candidate: int = 0
    risk_case: int = 0
    risk_recovery: int = 0
    users: dict[Role, str] = field(default_factory=dict)
    province_staff: str = ""  # a province's batches are served by staff of the whole province, not a county's


def _person(session, cipher, clock, name, region, sequence):
    return registry.register_person(session=session, cipher=cipher, principal=SYSTEM, now=clock.now(), command=PersonCreate(
        id_number=id_number(region, date(1980, 5, 17), sequence), name=name, hukou_region_code=region,
        residence_region_code=region if region == PUDONG else CHAOYANG_STREET)).id


def _build_side(database, cipher, clock, region: str, tag: str, bank_code: str, serial: int) -> Side:
    side = Side()
    with database.transaction() as session:
        side.person = _person(session, cipher, clock, f"{tag}甲", region, 11)
        side.employee = _person(session, cipher, clock, f"{tag}乙", region, 13)
        waiting = _person(session, cipher, clock, f"{tag}丙", region, 15)
        side.employer = registry.register_employer(session=session, principal=SYSTEM, now=clock.now(), command=EmployerCreate(
            uscc=_credit_code(region), name=f"{tag}测试有限公司", region_code=region, industry_code="I64")).id
        side.participation = enrollment.enroll(
            session=session, principal=SYSTEM, person_id=side.person, now=clock.now(),
            command=ParticipationCreate(mode="flexible", region_code=region if region == PUDONG else CHAOYANG_STREET,
                                  start_date=date(2025, 1, 1)))[0].id
        side.employee_participation = enrollment.hire(
            session=session, cipher=cipher, principal=SYSTEM, employer_id=side.employer, now=clock.now(),
            command=EmployeeHire(id_number=id_number(region, date(1980, 5, 17), 13), start_date=date(2025, 1, 1)))[0].id
        from shebao.cards import service as cards
        from shebao.cards.schemas import CardApply
        cards.apply_for_card(session=session, principal=SYSTEM, now=clock.now(),
                             command=CardApply(person_id=waiting, region_code=region))
        side.card_batch = production.submit_batch(session=session, principal=SYSTEM, region_code=region, now=clock.now())[0].id
        side.blacklist_entry = bank.list_on_blacklist(session=session, principal=SYSTEM, now=clock.now(), command=BlacklistEntryCreate(
            subject_kind="employer", subject_id=side.employer, ground="malicious_arrears", reason="恶意欠费测试",
            listed_on=date(2025, 2, 1)))
        for person, attribute in ((side.person, "base_declaration"), (side.employee, "employee_base_declaration")):
            setattr(side, attribute, contributions.declare_base(session=session, principal=SYSTEM, now=clock.now(), command=BaseDeclare(
                person_id=person, effective_period="202501", declared_base_fen=900_000)).id)
        review = DeathReview(person_id=side.employee, death_date=date(2025, 1, 5), source="测试", conflict="测试",
                             status="pending", recorded_by="staff:test", recorded_at=utc_naive(clock.now()))
        session.add(review)
        session.flush()
        side.death_review = review.id
        pair = LinkCandidate(province=region[:2] + "0000", person_id=side.person, other_kind="person",
                             other_id=side.employee, match_probability=0.8, match_weight=2.0,
                             levels='["name.surname", "birth.exact", "sex.exact", "region.county", "id.else"]',
                             status="review", found_by="staff:test", found_at=utc_naive(clock.now()))
        session.add(pair)
        session.flush()
        side.link_candidate = pair.id
    side.card = give_active_card(database, cipher, clock, side.person)
    with database.transaction() as session:
        card = session.get(Card, side.card)
        card.card_number = f"{region[:2]}{serial:08d}" + luhn.calc_check_digit(f"{region[:2]}{serial:08d}")
        card.bank_code = bank_code
        side.card_number = card.card_number
    side.bank_batch, side.payout_line = _released_payment(database, cipher, clock, side, region, bank_code)
    run_month_end(database=database, province=region[:2] + "0000", period="202501", now=clock.now(), actor="test")
    with database.unit_of_work() as uow:
        from shebao.contributions.models import Bill
        side.bill = uow.session.query(Bill.id).filter(Bill.payer_kind == "employer", Bill.payer_id == side.employer).scalar()
    with database.transaction() as session:  # a base raised after billing: a correction of the employee's January
        contributions.correct_base(session=session, principal=SYSTEM, now=clock.now(),
                                   declaration_id=side.employee_base_declaration,
                                   command=BaseCorrect(declared_base_fen=1_000_000))
        side.correction = corrections.corrections_of(session=session, principal=SYSTEM, person_id=side.employee)[0].id
        side.refund = session.execute(insert(Refund).values(  # a request as stored, whatever credit there is
            province=region[:2] + "0000", payer_kind="employer", payer_id=side.employer, amount_fen=100, method="offset",
            status="requested", reason="测试", offset_fen=0, requested_by="staff:test",
            requested_at=utc_naive(clock.now())).returning(Refund.id)).scalar_one()
        side.transfer = session.execute(insert(Transfer).values(  # a transfer as stored, to a third province
            person_id=side.person, kind="move", from_province=region[:2] + "0000", to_province="440000",
            to_region="440305", step="applied", open_key=f"p{side.person}", channel="counter", applied_on=date(2025, 2, 1),
            starts_on=date(2025, 2, 1), months_counted=0, base_sum_fen=0, pooled_fen=0, personal_account_fen=0,
            refused_reason="", created_by="staff:test", created_at=utc_naive(clock.now()),
            updated_at=utc_naive(clock.now())).returning(Transfer.id)).scalar_one()
        side.comparison_case = _comparison_case(session, clock, region)
        side.risk_case, side.risk_recovery = _risk_case(session, clock, region, side.person)
    side.users = {Role.INSURED: f"{tag}.insured", Role.EMPLOYER: f"{tag}.employer", Role.STAFF: f"{tag}.staff",
                  Role.BANK: f"{tag}.bank"}
    make_user(database, clock, side.users[Role.INSURED], Role.INSURED, person_id=side.person)
    make_user(database, clock, side.users[Role.EMPLOYER], Role.EMPLOYER, employer_id=side.employer)
    make_user(database, clock, side.users[Role.STAFF], Role.STAFF, region_code=region)
    make_user(database, clock, side.users[Role.BANK], Role.BANK, bank_code=bank_code)
    side.province_staff = f"{tag}.province"
    make_user(database, clock, side.province_staff, Role.STAFF, region_code=region[:2] + "0000")
    return side


def _comparison_case(session, clock, region: str) -> int:
    """A case listed in the side's region by a comparison of its province."""
    from shebao.comparison.models import CompareCase, CompareRun

    at = utc_naive(clock.now())
    run = CompareRun(province=region[:2] + "0000", as_of=date(2025, 1, 31), engine="duckdb", inputs_digest="0" * 64,
                     lists_digest="0" * 64, counts="{}", cases_opened=1, cases_closed=0, actor="test", started_at=at,
                     finished_at=at)
    session.add(run)
    session.flush()
    case = CompareCase(province=run.province, list_kind="uninsured", finding_key=f"h{region}",
                       open_key=f"uninsured:h{region}", region_code=region, amount_fen=0, status="open",
                       opened_run_id=run.id, last_seen_run_id=run.id, opened_at=at)
    session.add(case)
    session.flush()
    return case.id


def _risk_case(session, clock, region: str, person: int) -> tuple[int, int]:
    """A risk case about the side's person in the side's region, assigned, and a recovery opened on it (as stored)."""
    from shebao.risk.models import RiskCase, RiskRecovery

    at = utc_naive(clock.now())
    case = RiskCase(rule_id="R01_paid_after_death", finding_key=f"auth{region}", province=region[:2] + "0000",
                    region_code=region, subject_kind="person", person_id=person, severity="high", amount_fen=100,
                    details="{}", status="investigating", assigned_to=None, opened_at=at, updated_at=at)
    session.add(case)
    session.flush()
    recovery = RiskRecovery(case_id=case.id, person_id=person, region_code=region, debtor="person", amount_fen=100,
                            recovered_fen=0, written_off_fen=0, offset_allowed=False, status="open", opened_by="test",
                            opened_at=at)
    session.add(recovery)
    session.flush()
    return case.id, recovery.id


def _released_payment(database, cipher, clock, side: Side, region: str, bank_code: str) -> tuple[int, int]:
    """A payment to the side's person in a batch of the side's province and bank, prepared and approved."""
    from shebao.core.security import Principal
    from shebao.ledger import chart
    from shebao.ledger.rules import AccountKind
    from shebao.payouts import service as payouts
    from shebao.payouts.models import PayoutLine
    from shebao.payouts.rules import PayoutOrder

    province = region[:2] + "0000"
    order = PayoutOrder(source_ref=side.person, bank_code=bank_code, account="6217000010000000007", receiver_name="测试",
                        region_code=region if region == PUDONG else CHAOYANG_STREET, amount_fen=100, memo="退费",
                        person_id=side.person)
    maker, checker = (Principal(user_id=None, username=name, role=Role.STAFF, region_code=province) for name in ("m", "c"))
    with database.transaction() as session:
        added = payouts.add_lines(session=session, cipher=cipher, source="refund", province=province, period="202501",
                                  payable=chart.province_account(AccountKind.REFUND_PAYABLE, province=province), orders=[order],
                                  key=f"refund:test:{side.person}", actor="test", now=clock.now())
        batch = added.batches[bank_code]
        payouts.prepare_batch(session=session, principal=maker, batch_id=batch, now=clock.now())
        payouts.approve_batch(session=session, principal=checker, batch_id=batch, now=clock.now())
        return batch, session.query(PayoutLine.id).filter(PayoutLine.batch_id == batch).scalar()


def _credit_code(region: str) -> str:
    return demo_credit_code(region, random.Random(region))


@pytest.fixture
def world(client, database, cipher, clock):
    add_test_streets(database, clock)
    inside = _build_side(database, cipher, clock, CHAOYANG, "chaoyang", "ICBC", 1)
    outside = _build_side(database, cipher, clock, PUDONG, "pudong", "CCB", 2)
    make_user(database, clock, "auditor", Role.AUDITOR)
    make_user(database, clock, "root", Role.ADMIN)
    tokens = {name: token_for(client, name) for side in (inside, outside)
              for name in (*side.users.values(), side.province_staff)}
    tokens |= {"auditor": token_for(client, "auditor"), "root": token_for(client, "root")}
    return {"inside": inside, "outside": outside, "tokens": tokens}


def _subject_value(kind: SubjectKind, side: Side | None, role: Role) -> dict:
    """The request fields that name a subject of this kind on this side (None: a subject that does not exist)."""
    if side is None:
        return {K.CARD_NUMBER: {"value": UNUSED_CARD_NUMBER}, K.PAYER: {"value": NOBODY, "payer_kind": "employer"},
                K.BLACKLIST_SUBJECT: {"value": NOBODY, "subject_kind": "person"}}.get(kind, {"value": NOBODY})
    employee_side = role == Role.EMPLOYER
    return {
        K.PERSON: {"value": side.person}, K.RECEIVER: {"value": side.person},
        K.BASE_PAYER: {"value": side.employee if employee_side else side.person},
        K.CARD: {"value": side.card}, K.CARD_NUMBER: {"value": side.card_number},
        K.EMPLOYER: {"value": side.employer},
        K.PARTICIPATION: {"value": side.employee_participation if employee_side else side.participation},
        K.PAYER: ({"value": side.employer, "payer_kind": "employer"} if role != Role.INSURED
                  else {"value": side.person, "payer_kind": "flexible"}),
        K.BLACKLIST_SUBJECT: {"value": side.person, "subject_kind": "person"},
        K.BLACKLIST_ENTRY: {"value": side.blacklist_entry}, K.CARD_BATCH: {"value": side.card_batch},
        K.DEATH_REVIEW: {"value": side.death_review},
        K.BASE_DECLARATION: {"value": side.employee_base_declaration if employee_side else side.base_declaration},
        K.CORRECTED: {"value": side.employee}, K.CORRECTION: {"value": side.correction},
        K.REFUND: {"value": side.refund},
        K.BANK_BATCH: {"value": side.bank_batch}, K.PAYOUT_LINE: {"value": side.payout_line},
        K.TRANSFER: {"value": side.transfer}, K.TRANSFER_APPLICANT: {"value": side.person},
        K.COMPARISON_CASE: {"value": side.comparison_case},
        K.LINK_CANDIDATE: {"value": side.link_candidate},
        K.RISK_CASE: {"value": side.risk_case}, K.RISK_RECOVERY: {"value": side.risk_recovery},
    }[kind]


def _request(client, method: str, route: str, permission, subject: dict | None, token: dict | None):
    fixed = {"period": "202501", "region_code": "110000", "day": "2025-01-01", "code": "110105"}
    path_values = {name: fixed.get(name, NOBODY) for name in re.findall(r"{(\w+)}", route)}
    body: dict = {}
    query: dict = {}
    if permission.where is not None and subject is not None:
        where = permission.where
        extra = {key: value for key, value in subject.items() if key != "value"}
        target = {"path": path_values, "query": query, "body": body}[where.source]
        target[where.field] = subject["value"]
        (query if where.source == "query" else body).update(extra)
    url = route.format(**path_values)
    kwargs = {"params": query, "headers": token or {}}
    if method not in ("GET", "DELETE"):
        kwargs["json"] = body
    return client.request(method, url, **kwargs)


PROVINCE_WIDE = {K.BANK_BATCH}  # subjects a province's staff serve, not a county's


def _role_token(world, role: Role, subject: SubjectKind | None = None) -> dict:
    if role == Role.AUDITOR:
        return world["tokens"]["auditor"]
    if role == Role.ADMIN:
        return world["tokens"]["root"]
    if role == Role.STAFF and subject in PROVINCE_WIDE:
        return world["tokens"][world["inside"].province_staff]
    return world["tokens"][world["inside"].users[role]]


def _is_scope_refusal(response) -> bool:
    return response.status_code == 404 and response.json().get("error", {}).get("code") == "scope.not_found"


def test_the_table_declares_every_route_and_no_reading_role_writes(client):
    document = client.get("/openapi.json").json()
    routes = {f"{method.upper()} {path}" for path, operations in document["paths"].items() for method in operations}
    assert sorted(routes - set(API)) == [], "routes without a declared permission"
    assert sorted(set(API) - routes) == [], "declared permissions for routes that do not exist"
    for key, permission in API.items():
        assert not (Role.AUDITOR in permission.roles and permission.writes), f"{key}: an auditor would write"
        if permission.scope in (Scope.SUBJECT, Scope.REGION):
            assert permission.where is not None, f"{key}: where is the subject named?"


def test_every_route_every_role_inside_outside_and_nowhere(client, world):
    document = client.get("/openapi.json").json()
    problems: list[str] = []
    for path, operations in document["paths"].items():
        for method in operations:
            permission = permission_for(method, path)
            problems += _walk(client, world, method.upper(), path, permission)
    assert not problems, "\n".join(problems)


def _walk(client, world, method: str, path: str, permission) -> list[str]:
    problems = []
    key = f"{method} {path}"
    if permission.scope == Scope.PUBLIC or key == "POST /api/v1/auth/logout":  # logging out would end the walk's tokens
        return problems
    if permission.scope == Scope.SIGNED:
        return _walk_signed(client, world, method, path)
    anonymous = _request(client, method, path, permission, None, None)
    if anonymous.status_code != 401:
        problems.append(f"{key}: without a token → {anonymous.status_code}, not 401")
    for role in Role:
        token = _role_token(world, role, permission.subject)
        inside = _subject_value(permission.subject, world["inside"], role) if permission.subject else None
        answer = _request(client, method, path, permission, inside, token)
        if answer.status_code >= 500:
            problems.append(f"{key} as {role}: server error {answer.status_code}")
        if role not in permission.roles or (role == Role.AUDITOR and permission.writes):
            if answer.status_code != 403 or answer.json()["error"]["code"] != "auth.role_not_allowed":
                problems.append(f"{key} as {role}: a role the table refuses got {answer.status_code} {answer.text[:120]}")
            continue
        if answer.status_code == 403 and answer.json()["error"]["code"] == "auth.role_not_allowed":
            problems.append(f"{key} as {role}: a role the table allows was refused")
        if permission.scope_for(role) != Scope.SUBJECT:
            continue
        if _is_scope_refusal(answer):
            problems.append(f"{key} as {role}: its own subject was refused as outside its scope")
        nowhere = _request(client, method, path, permission, _subject_value(permission.subject, None, role), token)
        if not _is_scope_refusal(nowhere):
            problems.append(f"{key} as {role}: a subject that does not exist → {nowhere.status_code} {nowhere.text[:120]}")
        if role in (Role.ADMIN, Role.AUDITOR):
            continue  # the whole country is theirs: nothing lies outside
        outside = _request(client, method, path, permission, _subject_value(permission.subject, world["outside"], role), token)
        if outside.status_code < 400:
            problems.append(f"{key} as {role}: SUCCEEDED on a subject outside its scope ({outside.status_code})")
        elif (outside.status_code, outside.json()) != (nowhere.status_code, nowhere.json()):
            problems.append(f"{key} as {role}: a stranger's record answers {outside.status_code} {outside.text[:100]} "
                            f"but no record answers {nowhere.status_code} {nowhere.text[:100]}")
    return problems


def _walk_signed(client, world, method: str, path: str) -> list[str]:
    """A route another department signs its messages to: no login opens it, whoever holds a token; an unsigned
    message is refused as unauthenticated (the signature itself is tested in tests/api/test_exchange_api.py)."""
    problems = []
    for token in (None, *(_role_token(world, role) for role in Role)):
        answer = _request(client, method, path, permission_for(method, path), None, token)
        if answer.status_code != 401 or not answer.json()["error"]["code"].startswith("exchange."):
            problems.append(f"{method} {path}: an unsigned message with {token and 'a token'} → {answer.status_code}")
    return problems


def test_a_region_named_in_the_request_is_judged_against_the_callers(client, world):
    clerk = world["tokens"][world["inside"].users[Role.STAFF]]
    for key, permission in API.items():
        if permission.scope != Scope.REGION or Role.STAFF not in permission.roles:
            continue
        method, path = key.split(" ", 1)
        answer = _request(client, method, path, permission, {"value": "310000"}, clerk)
        assert answer.status_code == 403 and answer.json()["error"]["code"] == "scope.outside_region", (key, answer.text)


def test_a_disabled_login_is_refused_at_once(client, world, database):
    token = world["tokens"]["auditor"]
    assert client.get("/api/v1/audit/verify", headers=token).status_code == 200
    with database.transaction() as session:
        session.query(User).filter(User.username == "auditor").update({"active": False})
    assert client.get("/api/v1/audit/verify", headers=token).status_code == 401
    assert client.post("/api/v1/auth/token", data={"username": "auditor", "password": PASSWORD}).status_code == 401


def test_every_command_is_declared_as_the_operators():
    import typer

    from shebao.cli import app
    from shebao.services.permissions import OPERATOR_COMMANDS

    def names(command, prefix: str = "") -> list[str]:  # noqa: ANN001 - typer's own click command
        if hasattr(command, "commands"):
            itself = [prefix.strip()] if getattr(command, "invoke_without_command", False) and prefix else []
            return itself + [name for sub_name, sub in command.commands.items() for name in names(sub, f"{prefix}{sub_name} ")]
        return [prefix.strip()]

    declared = set(OPERATOR_COMMANDS)
    found = set(names(typer.main.get_command(app)))
    assert sorted(found - declared) == [], "commands without a declared permission"
    assert sorted(declared - found) == [], "declared commands that do not exist"


def test_no_id_offset_or_cursor_overflows_on_any_route(client, world):
    """Past 2^63 an integer names nothing: every route answers a 4xx, never a driver's overflow (500)."""
    document = client.get("/openapi.json").json()
    admin = world["tokens"]["root"]
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            huge = {p["name"]: str(2**63) for p in operation.get("parameters", [])
                    if p.get("schema", {}).get("type") == "integer" or "anyOf" in p.get("schema", {})}
            fixed = {"period": "202501", "region_code": "110000", "day": "2025-01-01", "code": "110105",
                     "card_number": UNUSED_CARD_NUMBER}
            names = re.findall(r"{(\w+)}", path)
            url = path.format(**{name: huge.get(name, fixed.get(name, NOBODY)) for name in names})
            query = {name: value for name, value in huge.items() if name not in names}
            answer = client.request(method.upper(), url, params=query, headers=admin,
                                    **({} if method == "get" else {"json": {}}))
            assert answer.status_code < 500, (method, path, answer.text)
