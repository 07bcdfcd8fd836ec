"""The permission table: for every endpoint and command, who may call it and on what.

One place, read by the code: `services/authorization.py` enforces it on every API request before the
endpoint runs (an endpoint missing from the table is refused), the OpenAPI document declares the
refusals from it, `shebao permissions` prints it, and tests/api/test_authorization.py walks every route
in the OpenAPI document against it for every role, inside and outside the caller's scope.

How a scope is judged, by role, on the subject *as stored* (never on a region or id the caller sends
to describe themselves):

  insured   the subject is their own person (own card, own participation, own flexible payments)
  employer  the subject is their own employer (or its employees' participations through it)
  bank      the subject is a card of their own bank, or a payment batch released to it
  staff     the subject's region lies within their region (a person: where they live or hold hukou;
            a card: its holder's; an employer: its registered region; a participation: its region)
  auditor   the whole country, reading only: no auditor permission ever writes
  admin     the whole country

Outside one's scope the answer is one 404 (`scope.not_found`), the same whether the subject exists.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from shebao.core.security import Role


class Scope(StrEnum):
    PUBLIC = "public"  # no login
    OWN_LOGIN = "own_login"  # acts on the caller's own account or card only; names nobody else
    CONFINED = "confined"  # a list or search: the query itself keeps to the caller's scope
    REGION = "region"  # a region named in the request is the subject (a batch, a registration)
    SUBJECT = "subject"  # a stored record named in the request, judged as stored
    NATIONAL = "national"  # the whole country: administrators (and auditors, reading)
    # No login: another department's message, authenticated by its signature with the key registered for it
    # (comparison/registry_exchange.py); what it may ask is its agreement's, judged by the service. A bearer token
    # opens nothing here.
    SIGNED = "signed"


class SubjectKind(StrEnum):
    PERSON = "person"
    CARD = "card"
    CARD_NUMBER = "card_number"
    EMPLOYER = "employer"
    PARTICIPATION = "participation"
    PAYER = "payer"  # payer_kind + payer_id, or bill_id
    BASE_PAYER = "base_payer"  # the payer of a person's current pension participation
    BLACKLIST_SUBJECT = "blacklist_subject"  # subject_kind + subject_id
    BLACKLIST_ENTRY = "blacklist_entry"
    CARD_BATCH = "card_batch"
    DEATH_REVIEW = "death_review"
    BASE_DECLARATION = "base_declaration"  # a declared base: its payer and person
    RECEIVER = "receiver"  # a person, also served by the agency that took their retirement application
    CORRECTED = "corrected"  # whom a correction is asked for: person_id, else employer_id
    CORRECTION = "correction"  # a correction made: the persons whose months it touched
    REFUND = "refund"  # a refund asked for: its payer
    BANK_BATCH = "bank_batch"  # a payment batch to a bank: its province, and its bank
    PAYOUT_LINE = "payout_line"  # one payment in a batch: its receiver's region
    TRANSFER = "transfer"  # a transfer: the person's regions, the new region, the old province
    TRANSFER_APPLICANT = "transfer_applicant"  # the person applying; staff anywhere when the applicant shows their ID
    COMPARISON_CASE = "comparison_case"  # a comparison case: the region it was listed in
    LINK_CANDIDATE = "link_candidate"  # a pair that may be one person: the regions of its persons (either side)
    RISK_CASE = "risk_case"  # a risk case: the region_code stored on it (whose staff work it)
    RISK_RECOVERY = "risk_recovery"  # a recovery of an overpayment: the region_code of its case, stored on it


@dataclass(frozen=True)
class Where:
    """Where the request names its subject (or its region): `path`, `query` or `body`, and the field."""

    source: str
    field: str


@dataclass(frozen=True)
class Permission:
    roles: frozenset[Role]
    scope: Scope
    subject: SubjectKind | None = None
    where: Where | None = None
    writes: bool = True
    by_role: dict[Role, Scope] = field(default_factory=dict)  # a role judged by another scope
    holder_present_anywhere: bool = False  # staff anywhere, when the holder's own ID number matches

    def scope_for(self, role: Role) -> Scope:
        return self.by_role.get(role, self.scope)


I, E, S, A, AD, B = Role.INSURED, Role.EMPLOYER, Role.STAFF, Role.AUDITOR, Role.ADMIN, Role.BANK
EVERYONE = frozenset(Role)


def _roles(*roles: Role) -> frozenset[Role]:
    return frozenset(roles)


def path(name: str) -> Where:
    return Where("path", name)


def query(name: str) -> Where:
    return Where("query", name)


def body(name: str) -> Where:
    return Where("body", name)


def public() -> Permission:
    return Permission(EVERYONE, Scope.PUBLIC, writes=False)


def signed() -> Permission:
    return Permission(frozenset(), Scope.SIGNED)


def own_login(*roles: Role, writes: bool = True) -> Permission:
    return Permission(_roles(*roles) if roles else EVERYONE, Scope.OWN_LOGIN, writes=writes)


def reads(roles: frozenset[Role], scope: Scope, subject: SubjectKind | None = None, where: Where | None = None,
          **extra) -> Permission:
    return Permission(roles, scope, subject, where, writes=False, **extra)


def writes(roles: frozenset[Role], scope: Scope, subject: SubjectKind | None = None, where: Where | None = None,
           **extra) -> Permission:
    if Role.AUDITOR in roles:
        raise ValueError("auditors read; they never write")
    return Permission(roles, scope, subject, where, writes=True, **extra)


K = SubjectKind
PERSON_READERS = _roles(I, S, AD, A)
PERSON_ACTORS = _roles(I, S, AD)
STAFF = _roles(S, AD)
STAFF_READERS = _roles(S, AD, A)


def on_person(where: Where = path("person_id")) -> tuple[Scope, SubjectKind, Where]:
    return Scope.SUBJECT, K.PERSON, where


# "METHOD /path" exactly as in the OpenAPI document.
API: dict[str, Permission] = {
    # --- health, accounts
    "GET /api/v1/health": public(),
    # Logging in and out touches only the caller's own session, not the records: auditors do it too.
    "POST /api/v1/auth/token": public(),
    "POST /api/v1/auth/logout": own_login(writes=False),
    "GET /api/v1/auth/me": own_login(writes=False),
    # Enrolling one's own second factor (staff, auditors, administrators) touches only one's own login.
    "POST /api/v1/auth/totp": own_login(S, AD, A, writes=False),
    "POST /api/v1/auth/totp/confirm": own_login(S, AD, A, writes=False),
    "POST /api/v1/users": writes(_roles(AD), Scope.NATIONAL),
    # --- registry
    "POST /api/v1/persons": writes(STAFF, Scope.REGION, where=body("residence_region_code")),
    "GET /api/v1/persons": reads(STAFF_READERS, Scope.CONFINED),
    "POST /api/v1/persons/search": reads(STAFF_READERS, Scope.CONFINED),
    "GET /api/v1/persons/{person_id}": reads(PERSON_READERS, *on_person()),
    "PATCH /api/v1/persons/{person_id}": writes(PERSON_ACTORS, *on_person()),
    "GET /api/v1/persons/{person_id}/history": reads(PERSON_READERS, *on_person()),
    "POST /api/v1/employers": writes(STAFF, Scope.REGION, where=body("region_code")),
    "GET /api/v1/employers": reads(STAFF_READERS, Scope.CONFINED),
    "PATCH /api/v1/employers/{employer_id}": writes(STAFF, Scope.SUBJECT, K.EMPLOYER, path("employer_id")),
    "GET /api/v1/employers/{employer_id}": reads(_roles(E, S, AD, A), Scope.SUBJECT, K.EMPLOYER, path("employer_id")),
    "GET /api/v1/regions/{code}": public(),
    # --- enrollment
    "POST /api/v1/employers/{employer_id}/employees": writes(_roles(E, S, AD), Scope.SUBJECT, K.EMPLOYER,
                                                              path("employer_id")),
    "GET /api/v1/employers/{employer_id}/employees": reads(_roles(E, S, AD, A), Scope.SUBJECT, K.EMPLOYER,
                                                           path("employer_id")),
    "POST /api/v1/employers/{employer_id}/employees/{person_id}/leave": writes(_roles(E, S, AD), Scope.SUBJECT,
                                                                               K.EMPLOYER, path("employer_id")),
    "GET /api/v1/persons/{person_id}/participations": reads(PERSON_READERS, *on_person()),
    "POST /api/v1/persons/{person_id}/participations": writes(PERSON_ACTORS, *on_person()),
    "POST /api/v1/participations/{participation_id}/suspend": writes(PERSON_ACTORS, Scope.SUBJECT, K.PARTICIPATION,
                                                                     path("participation_id")),
    "POST /api/v1/participations/{participation_id}/resume": writes(PERSON_ACTORS, Scope.SUBJECT, K.PARTICIPATION,
                                                                    path("participation_id")),
    "POST /api/v1/participations/{participation_id}/end": writes(PERSON_ACTORS, Scope.SUBJECT, K.PARTICIPATION,
                                                                 path("participation_id")),
    # --- contributions
    "POST /api/v1/bases": writes(_roles(E, I, S, AD), Scope.SUBJECT, K.BASE_PAYER, body("person_id")),
    "GET /api/v1/bases": reads(_roles(E, I, S, AD, A), Scope.CONFINED),
    "POST /api/v1/bases/{declaration_id}/corrections": writes(_roles(E, I, S, AD), Scope.SUBJECT, K.BASE_DECLARATION,
                                                              path("declaration_id")),
    "GET /api/v1/bills": reads(_roles(E, I, S, AD, A), Scope.SUBJECT, K.PAYER, query("payer_id")),
    # Money arrives from the bank's collection file or a counter clerk, never from the payer's own hand.
    "POST /api/v1/payments": writes(STAFF, Scope.SUBJECT, K.PAYER, body("payer_id")),
    "POST /api/v1/persons/{person_id}/makeup": writes(PERSON_ACTORS, *on_person()),
    "POST /api/v1/corrections": writes(STAFF, Scope.SUBJECT, K.CORRECTED, body("person_id")),
    "POST /api/v1/refunds": writes(_roles(E, I, S, AD), Scope.SUBJECT, K.PAYER, body("payer_id")),
    "GET /api/v1/refunds": reads(_roles(E, I, S, AD, A), Scope.SUBJECT, K.PAYER, query("payer_id")),
    "POST /api/v1/refunds/{refund_id}/decision": writes(STAFF, Scope.SUBJECT, K.REFUND, path("refund_id")),
    "GET /api/v1/corrections": reads(PERSON_READERS, *on_person(query("person_id"))),
    "POST /api/v1/corrections/{correction_id}/reversal": writes(STAFF, Scope.SUBJECT, K.CORRECTION,
                                                                path("correction_id")),
    "GET /api/v1/batch-runs": reads(STAFF_READERS, Scope.CONFINED),
    # --- transfers: the calculators read nothing stored; an application is taken where the person now works, from
    # the person themselves online or at any counter they come to with their ID; each step by its own province.
    "POST /api/v1/transfers/amount": Permission(EVERYONE, Scope.PUBLIC, writes=False),
    "POST /api/v1/benefit-place": Permission(EVERYONE, Scope.PUBLIC, writes=False),
    "GET /api/v1/persons/{person_id}/transfer-plan": reads(PERSON_READERS, *on_person()),
    "POST /api/v1/transfers": writes(PERSON_ACTORS, Scope.SUBJECT, K.TRANSFER_APPLICANT, body("person_id"),
                                     holder_present_anywhere=True),
    "GET /api/v1/transfers": reads(_roles(I, S, AD, A), Scope.CONFINED),
    "GET /api/v1/transfers/{transfer_id}": reads(PERSON_READERS, Scope.SUBJECT, K.TRANSFER, path("transfer_id")),
    "POST /api/v1/transfers/{transfer_id}/steps": writes(STAFF, Scope.SUBJECT, K.TRANSFER, path("transfer_id")),
    "POST /api/v1/transfers/gather": writes(STAFF, *on_person(body("person_id"))),
    "POST /api/v1/transfers/conversions": writes(STAFF, *on_person(body("person_id"))),
    # --- the comparison of registries: a province's run by its own staff; lists, cases and progress by region
    "POST /api/v1/comparison/runs": writes(STAFF, Scope.REGION, where=body("province")),
    "GET /api/v1/comparison/lists/{kind}": reads(STAFF_READERS, Scope.REGION, where=query("region")),
    "GET /api/v1/comparison/cases": reads(STAFF_READERS, Scope.REGION, where=query("region")),
    "GET /api/v1/comparison/cases/{case_id}": reads(STAFF_READERS, Scope.SUBJECT, K.COMPARISON_CASE, path("case_id")),
    "POST /api/v1/comparison/cases/{case_id}/outcome": writes(STAFF, Scope.SUBJECT, K.COMPARISON_CASE,
                                                              path("case_id")),
    "GET /api/v1/comparison/progress": reads(STAFF_READERS, Scope.REGION, where=query("region")),
    # --- the archive
    "GET /api/v1/persons/{person_id}/record": reads(PERSON_READERS, *on_person()),
    "GET /api/v1/persons/{person_id}/archive": reads(PERSON_READERS, *on_person()),
    "GET /api/v1/persons/{person_id}/archive.pdf": reads(PERSON_READERS, *on_person()),
    # A printed statement checked by whoever holds it (a bank, a new employer): the code vouches for itself, and the
    # answer names only the masked name, the issue date and the totals.
    "GET /api/v1/statements/verify": public(),
    # --- cards
    "POST /api/v1/cards": writes(PERSON_ACTORS, *on_person(body("person_id"))),
    "GET /api/v1/persons/{person_id}/cards": reads(PERSON_READERS, *on_person()),
    "POST /api/v1/cards/{card_id}/issue": writes(STAFF, Scope.SUBJECT, K.CARD, path("card_id")),
    "POST /api/v1/cards/{card_id}/activate": writes(_roles(I), Scope.SUBJECT, K.CARD, path("card_id")),
    # A loss is taken at any counter in the country when the holder shows their ID there.
    "POST /api/v1/cards/{card_id}/report-lost": writes(PERSON_ACTORS, Scope.SUBJECT, K.CARD, path("card_id"),
                                                       holder_present_anywhere=True),
    "POST /api/v1/cards/{card_id}/unfreeze": writes(PERSON_ACTORS, Scope.SUBJECT, K.CARD, path("card_id")),
    "POST /api/v1/cards/{card_id}/replace": writes(PERSON_ACTORS, Scope.SUBJECT, K.CARD, path("card_id")),
    "POST /api/v1/cards/{card_id}/cancel": writes(PERSON_ACTORS, Scope.SUBJECT, K.CARD, path("card_id")),
    "POST /api/v1/cards/pin-check": writes(_roles(B, S, AD), Scope.SUBJECT, K.CARD_NUMBER, body("card_number")),
    "POST /api/v1/cards/{card_id}/pin": writes(PERSON_ACTORS, Scope.SUBJECT, K.CARD, path("card_id")),
    "POST /api/v1/cards/{card_id}/hand-out": writes(STAFF, Scope.SUBJECT, K.CARD, path("card_id")),
    # The card's account bound again (a closed account replaced, …): at a counter of the holder's region, or by the
    # card's own bank.
    "POST /api/v1/cards/{card_id}/bank-account": writes(_roles(B, S, AD), Scope.SUBJECT, K.CARD, path("card_id")),
    "POST /api/v1/blacklist": writes(STAFF, Scope.SUBJECT, K.BLACKLIST_SUBJECT, body("subject_id")),
    "POST /api/v1/blacklist/{entry_id}/release": writes(STAFF, Scope.SUBJECT, K.BLACKLIST_ENTRY, path("entry_id")),
    "GET /api/v1/bank/cards/{card_number}": reads(_roles(B, S, AD, A), Scope.SUBJECT, K.CARD_NUMBER,
                                                  path("card_number")),
    "POST /api/v1/bank/cards/{card_number}/release": writes(_roles(B), Scope.SUBJECT, K.CARD_NUMBER,
                                                            path("card_number")),
    "GET /api/v1/bank/notices": reads(_roles(B), Scope.CONFINED),
    "POST /api/v1/ecard/open": own_login(I),
    "GET /api/v1/ecard/code": own_login(I, writes=False),
    "GET /api/v1/ecard/trust": public(),
    "POST /api/v1/card-batches": writes(STAFF, Scope.REGION, where=body("region_code")),
    "GET /api/v1/card-batches/{batch_id}": reads(STAFF_READERS, Scope.SUBJECT, K.CARD_BATCH, path("batch_id")),
    "GET /api/v1/card-batches/{batch_id}/manifest": reads(STAFF, Scope.SUBJECT, K.CARD_BATCH, path("batch_id")),
    "POST /api/v1/card-batches/{batch_id}/return": writes(STAFF, Scope.SUBJECT, K.CARD_BATCH, path("batch_id")),
    # --- benefits
    "GET /api/v1/retirement/date": public(),
    "POST /api/v1/pension/calc": Permission(EVERYONE, Scope.PUBLIC, writes=False),
    "POST /api/v1/retirement/applications": writes(STAFF, *on_person(body("person_id"))),
    "GET /api/v1/persons/{person_id}/pension": reads(PERSON_READERS, Scope.SUBJECT, K.RECEIVER, path("person_id")),
    "POST /api/v1/pension/estimate": reads(PERSON_READERS, *on_person(body("person_id"))),
    "POST /api/v1/payroll/{period}": writes(STAFF, Scope.REGION, where=query("province")),
    "GET /api/v1/payroll/{period}/held": reads(STAFF_READERS, Scope.REGION, where=query("province")),
    "POST /api/v1/certifications": writes(PERSON_ACTORS, Scope.SUBJECT, K.RECEIVER, body("person_id")),
    "POST /api/v1/certifications/import": writes(STAFF, Scope.CONFINED),
    "POST /api/v1/deaths": writes(STAFF, *on_person(body("person_id"))),
    "GET /api/v1/death-reviews": reads(STAFF_READERS, Scope.CONFINED),
    "POST /api/v1/death-reviews/{review_id}/decision": writes(STAFF, Scope.SUBJECT, K.DEATH_REVIEW,
                                                              path("review_id")),
    "GET /api/v1/persons/{person_id}/survivor-benefits": reads(STAFF_READERS, *on_person()),
    "POST /api/v1/unemployment/claims": writes(STAFF, *on_person(body("person_id"))),
    "POST /api/v1/unemployment/payroll/{period}": writes(STAFF, Scope.REGION, where=query("province")),
    "POST /api/v1/persons/{person_id}/unemployment/stop": writes(STAFF, *on_person()),
    # Work injury and maternity are assessed by the agency of the employer's region.
    "POST /api/v1/injury/claims": writes(STAFF, Scope.SUBJECT, K.EMPLOYER, body("employer_id")),
    "POST /api/v1/maternity/claims": writes(STAFF, Scope.SUBJECT, K.EMPLOYER, body("employer_id")),
    # --- payouts: batches to the banks (maker-checker), the bank's returns, the reconciliation. A batch belongs to
    # its province: staff whose region serves the province (province or national staff) handle it, a bank reads its
    # own released batches. A returned payment belongs to its receiver's region, whose clerks see and fix it.
    "GET /api/v1/bank-batches": reads(_roles(S, AD, A, B), Scope.REGION, where=query("province"),
                                      by_role={B: Scope.CONFINED}),
    "GET /api/v1/bank-batches/{batch_id}": reads(_roles(S, AD, A, B), Scope.SUBJECT, K.BANK_BATCH, path("batch_id")),
    "POST /api/v1/bank-batches/{batch_id}/prepare": writes(STAFF, Scope.SUBJECT, K.BANK_BATCH, path("batch_id")),
    # The checker: a second person in scope, never the maker (the service refuses that), never a reading role.
    "POST /api/v1/bank-batches/{batch_id}/approve": writes(STAFF, Scope.SUBJECT, K.BANK_BATCH, path("batch_id")),
    "GET /api/v1/bank-batches/{batch_id}/file": reads(_roles(B, S, AD), Scope.SUBJECT, K.BANK_BATCH, path("batch_id")),
    "POST /api/v1/bank-returns": writes(STAFF, Scope.REGION, where=query("province")),
    "GET /api/v1/bank-returns": reads(STAFF_READERS, Scope.CONFINED),
    "POST /api/v1/bank-returns/{line_id}/account-fixed": writes(STAFF, Scope.SUBJECT, K.PAYOUT_LINE, path("line_id")),
    "GET /api/v1/bank-reconciliation/{period}": reads(STAFF_READERS, Scope.REGION, where=query("province")),
    # --- comparison: the fuzzy linkage's review queue (一人多号). A pair belongs to the regions of its persons as stored
    # (either side, where they live or hold their hukou); the service refuses a clerk a pair about their own record.
    "GET /api/v1/linkage/candidates": reads(STAFF_READERS, Scope.CONFINED),
    "GET /api/v1/linkage/candidates/{candidate_id}": reads(STAFF_READERS, Scope.SUBJECT, K.LINK_CANDIDATE,
                                                           path("candidate_id")),
    "POST /api/v1/linkage/candidates/{candidate_id}/decision": writes(STAFF, Scope.SUBJECT, K.LINK_CANDIDATE,
                                                                      path("candidate_id")),
    # --- ledger: the interest calculator, open like the pension calculator (it reads nothing stored)
    "POST /api/v1/interest/calc": Permission(EVERYONE, Scope.PUBLIC, writes=False),
    # --- ledger: the national adjustment between provinces — settled by administrators for the whole country; its
    # statement read by staff (their own province's line only: the service confines it), auditors and administrators
    "POST /api/v1/national-fund/{year}/settlement": writes(_roles(AD), Scope.NATIONAL),
    "GET /api/v1/national-fund/{year}/statement": reads(STAFF_READERS, Scope.CONFINED),
    # --- risk: the fund projection of a province's pension pool (JSON and its chart), read by staff of the province or
    # above, auditors and administrators; a county's clerk names a region above their own and is refused
    "GET /api/v1/fund/projection": reads(STAFF_READERS, Scope.REGION, where=query("province")),
    "GET /api/v1/fund/projection.svg": reads(STAFF_READERS, Scope.REGION, where=query("province")),
    # --- policy and audit
    "GET /api/v1/policy/{region_code}/{day}": public(),
    "GET /api/v1/policy/{region_code}/{day}/expired": public(),
    "GET /api/v1/policy/{region_code}/{day}/stale": public(),
    "GET /api/v1/audit/verify": reads(_roles(A, AD), Scope.NATIONAL),
    "GET /api/v1/audit/records": reads(_roles(A, AD), Scope.NATIONAL),
    # --- risk control: the rule catalogue is the same for everyone who works the fund (no record is named)
    "GET /api/v1/risk/rules": reads(STAFF_READERS, Scope.CONFINED),
    # the attempts the in-process rules blocked: staff of the region (their subjects' regions as stored), auditors read
    "GET /api/v1/risk/blocked": reads(STAFF_READERS, Scope.REGION, where=query("region")),
    # --- risk control: the cockpit's figures of a region and its children, read by staff of the region or above,
    # auditors and administrators (the country: administrators and auditors, or national staff)
    "GET /api/v1/cockpit/figures": reads(STAFF_READERS, Scope.REGION, where=query("region")),
    # --- risk control: cases by region, worked by the staff of the case's region as stored (the service refuses a
    # clerk a case about themselves, and, once assigned, anyone but the assignee or an administrator); recoveries alike
    "GET /api/v1/risk/cases": reads(STAFF_READERS, Scope.REGION, where=query("region")),
    "GET /api/v1/risk/cases/{case_id}": reads(STAFF_READERS, Scope.SUBJECT, K.RISK_CASE, path("case_id")),
    "POST /api/v1/risk/cases/{case_id}/assign": writes(STAFF, Scope.SUBJECT, K.RISK_CASE, path("case_id")),
    "POST /api/v1/risk/cases/{case_id}/notes": writes(STAFF, Scope.SUBJECT, K.RISK_CASE, path("case_id")),
    "POST /api/v1/risk/cases/{case_id}/evidence": writes(STAFF, Scope.SUBJECT, K.RISK_CASE, path("case_id")),
    "GET /api/v1/risk/cases/{case_id}/evidence/{evidence_id}": reads(STAFF_READERS, Scope.SUBJECT, K.RISK_CASE,
                                                                      path("case_id")),
    "POST /api/v1/risk/cases/{case_id}/conclusion": writes(STAFF, Scope.SUBJECT, K.RISK_CASE, path("case_id")),
    "POST /api/v1/risk/recoveries/{recovery_id}/repayments": writes(STAFF, Scope.SUBJECT, K.RISK_RECOVERY,
                                                                   path("recovery_id")),
    "POST /api/v1/risk/recoveries/{recovery_id}/write-offs": writes(STAFF, Scope.SUBJECT, K.RISK_RECOVERY,
                                                                   path("recovery_id")),
    # --- risk control: screening a province after the fact, by its own staff at province level (or above)
    "POST /api/v1/risk/screenings": writes(STAFF, Scope.REGION, where=body("province")),
    "GET /api/v1/risk/screenings": reads(STAFF_READERS, Scope.REGION, where=query("province")),
    # --- exchange by message with other departments (DCI shape): the signature is the authentication
    "GET /api/v1/registry/keys": public(),
    "POST /api/v1/registry/notify": signed(),
    "POST /api/v1/registry/sync/search": signed(),
    "POST /api/v1/registry/search": signed(),
    "POST /api/v1/registry/alive-check": signed(),
    "POST /api/v1/registry/subscribe": signed(),
    "POST /api/v1/registry/unsubscribe": signed(),
}

# Web pages: the citizen's own pages are served from the login cookie and only ever name the caller's
# own person; the authorization of what they show is the services' (the same functions as the API).
PAGES: dict[str, Permission] = {
    "GET /": public(),
    "GET /login": public(),
    "POST /login": public(),
    "POST /logout": own_login(writes=False),
    "GET /me": own_login(I, writes=False),
    "GET /ecard": own_login(I, writes=False),
    "POST /ecard/open": own_login(I),
    "GET /ecard/qr.svg": own_login(I, writes=False),
    "GET /me/pension": own_login(I, writes=False),
    "POST /me/pension/estimate": own_login(I, writes=False),
    "GET /me/pension/letter.pdf": own_login(I, writes=False),
    "GET /me/archive": own_login(I, writes=False),
    "GET /me/archive.pdf": own_login(I, writes=False),
    # the citizen's own card and reminders: no id in the address, always the login's own person
    "GET /me/card": own_login(I, writes=False),
    "GET /me/card/lost": own_login(I, writes=False),
    "POST /me/card/lost": own_login(I),
    "GET /me/reminders": own_login(I, writes=False),
    # The citizen's applications (web/citizen_apply_pages.py): always the login's own person as stored, never an id in
    # the address or the form; the one-key unemployment application and a transfer, judged by their services.
    "GET /me/applications": own_login(I, writes=False),
    "GET /me/apply/unemployment": own_login(I, writes=False),
    "POST /me/apply/unemployment": own_login(I),
    "GET /me/apply/transfer": own_login(I, writes=False),
    "POST /me/apply/transfer/plan": own_login(I, writes=False),
    "POST /me/apply/transfer": own_login(I),
    # The employer hall: the employer's own record, employees and bills (web/employer_pages.py).
    "GET /employer": own_login(E, writes=False),
    # ... and what it files itself, always for the login's own employer as stored (no id in the address): a hire, a
    # leave (the person named in the form's body, judged by the service on the employer's own participations), the
    # yearly base file (each row judged as a base declaration), its bills, payments and arrears with late fees.
    "GET /employer/hire": own_login(E, writes=False),
    "POST /employer/hire": own_login(E),
    "POST /employer/leave": own_login(E),
    "GET /employer/bases": own_login(E, writes=False),
    "POST /employer/bases": own_login(E),
    "GET /employer/bills": own_login(E, writes=False),
    # The staff console: the queues of the clerk's region as stored on the account, and a person by ID number (in the
    # form's body), found only within that region and audited (web/staff_pages.py).
    "GET /staff": reads(STAFF_READERS, Scope.CONFINED),
    "POST /staff/person": reads(STAFF_READERS, Scope.CONFINED),
    # The case pages of the staff console (web/staff_case_pages.py): the same roles and scopes as the matching API
    # routes; a list is of the clerk's region as stored, a case judged on its region as stored by the services (one 404
    # page outside it); the risk case's repayment form names the case, whose recovery it records.
    "GET /staff/comparison": reads(STAFF_READERS, Scope.CONFINED),
    "GET /staff/comparison/{case_id}": reads(STAFF_READERS, Scope.SUBJECT, K.COMPARISON_CASE, path("case_id")),
    "POST /staff/comparison/{case_id}/outcome": writes(STAFF, Scope.SUBJECT, K.COMPARISON_CASE, path("case_id")),
    "GET /staff/risk": reads(STAFF_READERS, Scope.CONFINED),
    "GET /staff/risk/{case_id}": reads(STAFF_READERS, Scope.SUBJECT, K.RISK_CASE, path("case_id")),
    "POST /staff/risk/{case_id}/assign": writes(STAFF, Scope.SUBJECT, K.RISK_CASE, path("case_id")),
    "POST /staff/risk/{case_id}/note": writes(STAFF, Scope.SUBJECT, K.RISK_CASE, path("case_id")),
    "POST /staff/risk/{case_id}/evidence": writes(STAFF, Scope.SUBJECT, K.RISK_CASE, path("case_id")),
    "GET /staff/risk/{case_id}/evidence/{evidence_id}": reads(STAFF_READERS, Scope.SUBJECT, K.RISK_CASE, path("case_id")),
    "POST /staff/risk/{case_id}/conclusion": writes(STAFF, Scope.SUBJECT, K.RISK_CASE, path("case_id")),
    "POST /staff/risk/{case_id}/repayment": writes(STAFF, Scope.SUBJECT, K.RISK_CASE, path("case_id")),
    # The card pages of the staff console (web/staff_card_pages.py), the same roles and scopes as the card API: the
    # batches of the clerk's region as stored, one batch judged on its region as stored (one 404 page outside it); a
    # card handed out and a listing made by the ID number or credit code typed in the form's body, found only within
    # the clerk's region; a listing released judged on its subject as stored. Auditors read; they never write.
    "GET /staff/cards": reads(STAFF_READERS, Scope.CONFINED),
    "POST /staff/cards/submit": writes(STAFF, Scope.CONFINED),
    "GET /staff/cards/hand-out": reads(STAFF_READERS, Scope.CONFINED),
    "POST /staff/cards/hand-out/find": reads(STAFF, Scope.CONFINED),
    "POST /staff/cards/hand-out/done": writes(STAFF, Scope.CONFINED),
    "GET /staff/cards/{batch_id}": reads(STAFF_READERS, Scope.SUBJECT, K.CARD_BATCH, path("batch_id")),
    "GET /staff/cards/{batch_id}/manifest.csv": reads(STAFF, Scope.SUBJECT, K.CARD_BATCH, path("batch_id")),
    "POST /staff/cards/{batch_id}/return": writes(STAFF, Scope.SUBJECT, K.CARD_BATCH, path("batch_id")),
    "GET /staff/blacklist": reads(STAFF_READERS, Scope.CONFINED),
    "POST /staff/blacklist/add": writes(STAFF, Scope.CONFINED),
    "POST /staff/blacklist/release": writes(STAFF, Scope.SUBJECT, K.BLACKLIST_ENTRY, body("entry_id")),
    # The runs and queue lists of the staff console (web/staff_run_pages.py, web/staff_queue_pages.py): the runs of the
    # clerk's province as stored on the account (services/runs.py judges a run on its province as stored: one 404
    # page outside it); a month-end or payroll started by staff of the province itself or an administrator, for the
    # clerk's own province (nothing in the request names it); the queues read from the services that confine them.
    "GET /staff/runs": reads(STAFF_READERS, Scope.CONFINED),
    "POST /staff/runs": writes(STAFF, Scope.CONFINED),
    "GET /staff/runs/{run_id}": reads(STAFF_READERS, Scope.CONFINED),
    "GET /staff/runs/{run_id}/progress": reads(STAFF_READERS, Scope.CONFINED),
    "GET /staff/queues/transfers": reads(STAFF_READERS, Scope.CONFINED),
    "GET /staff/queues/proofs": reads(STAFF_READERS, Scope.CONFINED),
    # Citizen self-pay (web/citizen_selfpay_pages.py): the login's own person only, no id in any address or form;
    # paying forms carry the amount shown and a one-time token. The staff queue of home visits is of the clerk's region
    # as stored on the persons; recording a visit names the request in the form's body, judged by the service on the
    # person as stored (one 404 page outside the region); auditors read the queue and never record.
    "GET /me/apply": own_login(I, writes=False),
    "GET /me/apply/flexible": own_login(I, writes=False),
    "POST /me/apply/flexible/review": own_login(I, writes=False),
    "POST /me/apply/flexible": own_login(I),
    "POST /me/apply/pay": own_login(I),
    "GET /me/apply/makeup": own_login(I, writes=False),
    "POST /me/apply/makeup/review": own_login(I, writes=False),
    "POST /me/apply/makeup": own_login(I),
    "GET /me/apply/proof-of-life": own_login(I, writes=False),
    "POST /me/apply/proof-of-life/face": own_login(I),
    "POST /me/apply/proof-of-life/visit": own_login(I),
    "GET /staff/visits": reads(STAFF_READERS, Scope.CONFINED),
    "POST /staff/visits/record": writes(STAFF, Scope.CONFINED),
    "GET /docs": public(),
    # the cockpit: staff of the region named (their own region as stored, by default) or above, administrators and
    # auditors; the page judges the region itself (web/cockpit_pages.py: one 404 page outside the caller's scope)
    "GET /cockpit": reads(STAFF_READERS, Scope.REGION, where=query("region")),
    "GET /cockpit/projection.svg": reads(STAFF_READERS, Scope.REGION, where=query("province")),
}

# The command line is the operator's: whoever holds the database URL, the secret key and the key
# passphrase on an agency's machine. Commands act for the whole country (the SYSTEM principal) and
# every change they make is audited under the actor `admin:system`.
OPERATOR_COMMANDS = (
    "id check", "uscc check", "policy show", "policy expired", "policy stale", "policy coverage", "audit verify", "audit checkpoint", "audit public-keys", "demo seed",
    "db upgrade",
    "regions import", "contrib assess", "contrib correct", "contrib reverse-correction", "month-end", "interest credit",
    "interest calc",
    "interest recompute", "person record", "person archive", "keys init", "keys rotate",
    "keys revoke", "keys export-trust", "ecard issue", "ecard verify", "retirement date", "pension calc",
    "pension award", "pension award-pending", "pension show", "pension estimate", "pension adjust", "payroll",
    "bank batches", "bank show", "bank prepare", "bank approve", "bank file", "bank import-returns", "bank returned",
    "bank account-fixed", "bank reconcile", "certification record", "certification import", "certification sweep", "death record",
    "unemployment apply", "unemployment pay", "unemployment stop", "injury claim", "maternity claim", "serve", "run",
    "permissions", "user unlock", "user unlock-address", "user reset-otp", "provisional reconcile",
    "transfer amount", "transfer plan", "transfer apply", "transfer step", "transfer status", "transfer list",
    "transfer gather", "transfer convert", "benefit-place", "fund settle", "fund statement", "fund project", "exchange import",
    "compare", "compare snapshot", "compare list", "compare cases", "compare case", "compare work", "compare progress",
    "exchange partner add", "exchange partner list", "exchange partner deactivate", "exchange public-key",
    "exchange announce", "outbox deliver", "outbox list",
    "link run", "link review", "link decide", "person register", "risk rules", "risk blocked",
    "person hash-phones",
    "cockpit figures", "cockpit refresh",
    "risk cases", "risk case", "risk assign", "risk note", "risk evidence", "risk conclude", "risk repay", "risk write-off",
    "risk screen",
)


def permission_for(method: str, path_template: str) -> Permission | None:
    """The declared permission of an API route or a page, or None when it was never declared."""
    key = f"{method.upper()} {path_template}"
    return API.get(key) or PAGES.get(key)


def as_rows() -> list[dict]:
    """The table for people: `shebao permissions` and docs/security.md."""
    rows = []
    for key, permission in [*API.items(), *PAGES.items()]:
        method, route = key.split(" ", 1)
        rows.append({
            "method": method, "path": route, "writes": permission.writes, "scope": permission.scope.value,
            "subject": permission.subject.value if permission.subject else None,
            "where": f"{permission.where.source}.{permission.where.field}" if permission.where else None,
            "roles": sorted(role.value for role in permission.roles)
            or (["partner"] if permission.scope == Scope.SIGNED else []),  # signed: another department's own key
            "by_role": {role.value: scope.value for role, scope in permission.by_role.items()},
            "holder_present_anywhere": permission.holder_present_anywhere,
        })
    rows.extend({"method": "CLI", "path": f"shebao {command}", "writes": True, "scope": Scope.NATIONAL.value,
                 "subject": None, "where": None, "roles": ["operator"], "by_role": {},
                 "holder_present_anywhere": False} for command in OPERATOR_COMMANDS)
    return rows
