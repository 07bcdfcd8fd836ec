"""Imported registries: each import recorded, and each kind's rows. An ID number is never stored: a row holds our
keyed hash of it (the same `persons.id_number_hash` holds), or — for a file sent hashed under a key agreed with the
other department — that hash, which the comparison matches against the same hash of our numbers."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from shebao.core.db import Base, BigId
from shebao.registry.models import Person


class ExchangeImport(Base):
    """One file imported: its kind, source, checksum, how it was read, and its counts."""

    __tablename__ = "exchange_imports"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(200))  # the file's name
    checksum: Mapped[str] = mapped_column(String(64), unique=True)  # SHA-256 of the file's bytes: one import per file
    file_format: Mapped[str] = mapped_column(String(8))
    encoding: Mapped[str] = mapped_column(String(12))  # utf-8, utf-8-sig, gbk, or parquet
    # NULL: our own keyed hash of the ID number; else a fingerprint of the exchange key the file was hashed under.
    hash_key_fingerprint: Mapped[str | None] = mapped_column(String(16))
    rows_read: Mapped[int] = mapped_column(Integer)
    rows_loaded: Mapped[int] = mapped_column(Integer)
    rows_rejected: Mapped[int] = mapped_column(Integer)
    imported_by: Mapped[str] = mapped_column(String(120))
    imported_at: Mapped[datetime] = mapped_column(DateTime)


def _import_id() -> Mapped[int]:
    return mapped_column(BigId, ForeignKey("exchange_imports.id"), index=True)


class ExtPopulation(Base):
    __tablename__ = "ext_population"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    import_id: Mapped[int] = _import_id()
    id_hash: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(100))
    sex: Mapped[str] = mapped_column(String(1))
    birth_date: Mapped[date] = mapped_column(Date)
    hukou_region: Mapped[str] = mapped_column(String(9))
    residence_region: Mapped[str] = mapped_column(String(9), index=True)
    status: Mapped[str] = mapped_column(String(12))


class ExtDeath(Base):
    __tablename__ = "ext_deaths"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    import_id: Mapped[int] = _import_id()
    id_hash: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(100))
    death_date: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(200))


class ExtPrisoner(Base):
    __tablename__ = "ext_prisoners"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    import_id: Mapped[int] = _import_id()
    id_hash: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(100))
    from_date: Mapped[date] = mapped_column(Date)
    to_date: Mapped[date | None] = mapped_column(Date)


class ExtEnterprise(Base):
    __tablename__ = "ext_enterprises"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    import_id: Mapped[int] = _import_id()
    uscc: Mapped[str] = mapped_column(String(18), index=True)
    name: Mapped[str] = mapped_column(String(100))
    region: Mapped[str] = mapped_column(String(9))
    established: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12))


class ExtTaxEmployment(Base):
    __tablename__ = "ext_tax_employment"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    import_id: Mapped[int] = _import_id()
    uscc: Mapped[str] = mapped_column(String(18))
    id_hash: Mapped[str] = mapped_column(String(64))
    period: Mapped[str] = mapped_column(String(6))
    wage_fen: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (Index("ix_ext_tax_employment_uscc_period", "uscc", "period"),)


class ExtStudent(Base):
    __tablename__ = "ext_students"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    import_id: Mapped[int] = _import_id()
    id_hash: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(100))
    school: Mapped[str] = mapped_column(String(200))
    until: Mapped[date] = mapped_column(Date)


# --- The comparison's runs, their lists, and the cases worked from them (comparison/runs.py, cases.py) ---

class CompareRun(Base):
    """One comparison of a province as of a date: what it was computed from, on which engine, and its counts."""

    __tablename__ = "compare_runs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    province: Mapped[str] = mapped_column(String(6), index=True)
    as_of: Mapped[date] = mapped_column(Date)
    engine: Mapped[str] = mapped_column(String(10))
    inputs_digest: Mapped[str] = mapped_column(String(64))  # snapshot.fingerprint: the same inputs, the same digest
    lists_digest: Mapped[str] = mapped_column(String(64))  # of the lists' rows: the same inputs, the same lists
    counts: Mapped[str] = mapped_column(Text)  # JSON: rows per list
    cases_opened: Mapped[int] = mapped_column(Integer)
    cases_closed: Mapped[int] = mapped_column(Integer)  # open cases whose finding the run no longer saw
    actor: Mapped[str] = mapped_column(String(120))
    started_at: Mapped[datetime] = mapped_column(DateTime)
    finished_at: Mapped[datetime] = mapped_column(DateTime)


class CompareFinding(Base):
    """One row of one list of one run (lists.COLUMNS)."""

    __tablename__ = "compare_findings"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    run_id: Mapped[int] = mapped_column(BigId, ForeignKey("compare_runs.id"))
    list_kind: Mapped[str] = mapped_column(String(24))
    finding_key: Mapped[str] = mapped_column(String(120))
    region_code: Mapped[str] = mapped_column(String(9))
    person_id: Mapped[int | None] = mapped_column(BigId)
    id_hash: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(String(100))
    uscc: Mapped[str | None] = mapped_column(String(18))
    employer_id: Mapped[int | None] = mapped_column(Integer)
    period: Mapped[str | None] = mapped_column(String(6))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    months: Mapped[int] = mapped_column(Integer)
    people_reported: Mapped[int] = mapped_column(Integer)
    people_insured: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(40))

    __table_args__ = (Index("ix_compare_findings_run_kind_region", "run_id", "list_kind", "region_code"),)


class CompareCase(Base):
    """A finding handed to the staff of its region and worked until an outcome closes it (case_rules.OUTCOMES)."""

    __tablename__ = "compare_cases"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    province: Mapped[str] = mapped_column(String(6))
    list_kind: Mapped[str] = mapped_column(String(24))
    finding_key: Mapped[str] = mapped_column(String(120))
    # Held while the case is open ("<list>:<finding key>"), NULL once closed: one open case per finding.
    open_key: Mapped[str | None] = mapped_column(String(150), unique=True)
    region_code: Mapped[str] = mapped_column(String(9))  # whose staff work it: the finding's region as listed
    person_id: Mapped[int | None] = mapped_column(BigId)
    employer_id: Mapped[int | None] = mapped_column(Integer)
    uscc: Mapped[str | None] = mapped_column(String(18))
    name: Mapped[str | None] = mapped_column(String(100))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(10))  # open | working | closed
    outcome: Mapped[str | None] = mapped_column(String(16))  # the last outcome recorded
    opened_run_id: Mapped[int] = mapped_column(BigId, ForeignKey("compare_runs.id"))
    last_seen_run_id: Mapped[int] = mapped_column(BigId)
    opened_at: Mapped[datetime] = mapped_column(DateTime)
    worked_by: Mapped[str | None] = mapped_column(String(120))
    worked_at: Mapped[datetime | None] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)

    __table_args__ = (Index("ix_compare_cases_province_status_region", "province", "status", "region_code"),
                      Index("ix_compare_cases_kind_key", "list_kind", "finding_key"))


class CompareCaseEvent(Base):
    """What happened to a case: opened, seen again, an outcome with its note, closed because no longer listed."""

    __tablename__ = "compare_case_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(BigId, ForeignKey("compare_cases.id"), index=True)
    action: Mapped[str] = mapped_column(String(12))  # opened | outcome | unlisted
    outcome: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(String(500))
    run_id: Mapped[int | None] = mapped_column(BigId)
    actor: Mapped[str] = mapped_column(String(120))
    at: Mapped[datetime] = mapped_column(DateTime)


TABLES = {"population": ExtPopulation, "deaths": ExtDeath, "prisoners": ExtPrisoner, "enterprises": ExtEnterprise,
          "tax_employment": ExtTaxEmployment, "students": ExtStudent}


# ------------------------------------------------------------------ exchange by message (DCI-shaped registry API)
# Other departments as registered partners, every message received (replay and idempotency), every event they pushed,
# what they subscribed to, and the outbox through which every outgoing message leaves (comparison/registry_exchange.py
# and its neighbours, comparison/outbox.py, docs/comparison.md "Exchange by message"). No ID number is stored in the
# clear: events hold our keyed hash of it, and an outgoing message's records are sealed with the field cipher.


class ExchangePartner(Base):
    """Another department that exchanges messages with us: its DCI sender id, its Ed25519 public key, where its
    callbacks go, and what its agreement allows (capabilities, and the region whose persons it may ask about)."""

    __tablename__ = "exchange_partners"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(100), unique=True)  # its sender_id in every envelope header
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(200))
    department: Mapped[str] = mapped_column(String(20))  # civil_affairs | health | public_security | court | …
    public_key: Mapped[str] = mapped_column(String(64))  # raw Ed25519 public key, base64url
    key_id: Mapped[str] = mapped_column(String(64))  # the key's name in the signature's kidId
    callback_url: Mapped[str | None] = mapped_column(String(500))
    agreement: Mapped[str] = mapped_column(String(400))  # capabilities, comma-separated (dci.CAPABILITIES)
    region_code: Mapped[str] = mapped_column(String(9))  # whose persons it may ask about ("000000": the country)
    active: Mapped[bool] = mapped_column(Boolean)
    registered_by: Mapped[str] = mapped_column(String(120))
    registered_at: Mapped[datetime] = mapped_column(DateTime)


class ExchangeMessage(Base):
    """A message received and answered: a message id is taken once per partner. The answer of a message that changed
    something is kept, so the same message sent again gets the same answer and changes nothing."""

    __tablename__ = "exchange_messages"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    partner_id: Mapped[int] = mapped_column(BigId, ForeignKey("exchange_partners.id"))
    message_id: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(20))
    digest: Mapped[str] = mapped_column(String(64))  # SHA-256 of the canonical header and message
    transaction_id: Mapped[str] = mapped_column(String(100))
    answer: Mapped[dict | None] = mapped_column(JSON)  # the signed answer (state-changing actions only)
    received_at: Mapped[datetime] = mapped_column(DateTime)

    __table_args__ = (UniqueConstraint("partner_id", "message_id"),)


class ExchangeEvent(Base):
    """One life event a partner pushed (a death, a birth), recorded once per partner and event id, with what came of it."""

    __tablename__ = "exchange_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    partner_id: Mapped[int] = mapped_column(BigId, ForeignKey("exchange_partners.id"))
    reference_id: Mapped[str] = mapped_column(String(100))  # the partner's own id of the event
    event_type: Mapped[str] = mapped_column(String(10))  # death | birth
    id_hash: Mapped[str | None] = mapped_column(String(64), index=True)  # our keyed hash of the ID number, if sent
    person_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("persons.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    event_date: Mapped[date] = mapped_column(Date)  # the death date, or the birth date
    details: Mapped[dict] = mapped_column(JSON)  # sex, region, certificate number …, as sent
    outcome: Mapped[str] = mapped_column(String(20))  # dci.OUTCOMES
    outcome_reason: Mapped[str] = mapped_column(String(300))
    outcome_reason_en: Mapped[str] = mapped_column(String(300))
    import_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("exchange_imports.id"))  # its ext_deaths row's import
    message_row_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("exchange_messages.id"))  # set when answered
    received_at: Mapped[datetime] = mapped_column(DateTime)

    __table_args__ = (UniqueConstraint("partner_id", "reference_id"),)


class ExchangeSubscription(Base):
    """A partner's subscription to one kind of change of ours; `announced_through` is how far it has been told."""

    __tablename__ = "exchange_subscriptions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    partner_id: Mapped[int] = mapped_column(BigId, ForeignKey("exchange_partners.id"))
    change_kind: Mapped[str] = mapped_column(String(20))  # death | pension_start
    code: Mapped[str] = mapped_column(String(40), unique=True)  # the subscription_code the partner holds
    active: Mapped[bool] = mapped_column(Boolean)
    announced_through: Mapped[datetime] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)

    __table_args__ = (UniqueConstraint("partner_id", "change_kind"),)


class OutboxMessage(Base):
    """A message to leave the platform (to a partner's callback, an SMS, an app notice, a letter), kept until sent
    or given up: never sent straight from a use case. The idempotency key makes a second enqueue the same message."""

    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel: Mapped[str] = mapped_column(String(8))  # dci | sms | app | letter
    recipient: Mapped[str] = mapped_column(String(200))  # a partner's code, a phone, a person, an address
    subject_kind: Mapped[str] = mapped_column(String(30))
    subject_id: Mapped[int | None] = mapped_column(BigInteger)
    body_zh: Mapped[str] = mapped_column(Text)
    body_en: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict | None] = mapped_column(JSON)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(8))  # pending | sent | failed | dead
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)

    __table_args__ = (Index("ix_outbox_messages_status_next_attempt_at", "status", "next_attempt_at"),)


class OutboxDelivery(Base):
    """One attempt at delivering an outbox message, and what came of it."""

    __tablename__ = "outbox_deliveries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    message_id: Mapped[int] = mapped_column(BigId, ForeignKey("outbox_messages.id"), index=True)
    attempt: Mapped[int] = mapped_column(Integer)
    attempted_at: Mapped[datetime] = mapped_column(DateTime)
    result: Mapped[str] = mapped_column(String(8))  # sent | failed | dead
    detail: Mapped[str] = mapped_column(String(500))
# ---------------------------------------------------------------- fuzzy linkage (一人多号: one person, several numbers)
# comparison/linkage.py: a run links the records of a province whose numbers do not match; a pair above the link
# threshold is linked, one in the grey band waits for a clerk; links (automatic or confirmed) are `person_links`, which
# the comparison's `duplicates` list reads.


class LinkRun(Base):
    """One linkage run of a province: its inputs, counts, the parameters in force and the model it trained."""

    __tablename__ = "link_runs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    province: Mapped[str] = mapped_column(String(6), index=True)
    persons: Mapped[int] = mapped_column(Integer)  # our persons in the frame
    external: Mapped[int] = mapped_column(Integer)  # household-register rows no number of ours matches
    pairs: Mapped[int] = mapped_column(Integer)  # pairs at or above the review threshold
    linked: Mapped[int] = mapped_column(Integer)
    review: Mapped[int] = mapped_column(Integer)
    withdrawn: Mapped[int] = mapped_column(Integer)  # undecided pairs of an earlier run not found again
    trained: Mapped[bool] = mapped_column(Boolean)  # False: too few records, the prior m and u were used
    parameters: Mapped[str] = mapped_column(Text)  # JSON: the linkage parameters in force, with their sources
    model: Mapped[str] = mapped_column(Text)  # JSON: prior probability, m and u per level (what a registration scores with)
    seconds: Mapped[float] = mapped_column(Float)
    run_by: Mapped[str] = mapped_column(String(120))
    started_at: Mapped[datetime] = mapped_column(DateTime)
    finished_at: Mapped[datetime] = mapped_column(DateTime)


class LinkCandidate(Base):
    """A pair of records that may be one person: a person of ours and another person of ours, or a person of ours and
    a household-register row whose number matches none of ours. Found by a run (or at a registration), decided by a
    clerk when it falls in the grey band."""

    __tablename__ = "link_candidates"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    province: Mapped[str] = mapped_column(String(6), index=True)
    run_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("link_runs.id"), index=True)  # None: at a registration
    person_id: Mapped[int] = mapped_column(BigId, ForeignKey("persons.id"), index=True)
    other_kind: Mapped[str] = mapped_column(String(16))  # person | ext_population
    other_id: Mapped[int] = mapped_column(BigInteger)
    match_probability: Mapped[float] = mapped_column(Float)
    match_weight: Mapped[float] = mapped_column(Float)
    levels: Mapped[str] = mapped_column(String(300))  # JSON: the level of each comparison ("name.exact", …)
    status: Mapped[str] = mapped_column(String(10), index=True)  # linked | review | confirmed | rejected | withdrawn
    found_by: Mapped[str] = mapped_column(String(120))
    found_at: Mapped[datetime] = mapped_column(DateTime)
    decided_by: Mapped[str | None] = mapped_column(String(120))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    decision_reason: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (UniqueConstraint("person_id", "other_kind", "other_id"),)


class PersonLink(Base):
    """One person, several numbers: two records held to be one person — linked above the threshold or confirmed by a
    clerk. The comparison's `duplicates` list reads these rows; a rejected pair has none."""

    __tablename__ = "person_links"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    candidate_id: Mapped[int] = mapped_column(BigId, ForeignKey("link_candidates.id"), unique=True)
    person_id_a: Mapped[int] = mapped_column(BigId, ForeignKey("persons.id"), index=True)
    person_id_b: Mapped[int | None] = mapped_column(BigId, ForeignKey("persons.id"), index=True)  # a < b
    ext_population_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("ext_population.id"), index=True)  # or this
    match_probability: Mapped[float] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(16))  # linkage
    method: Mapped[str] = mapped_column(String(10))  # automatic (above the threshold) | clerical (confirmed)
    confirmed_by: Mapped[str] = mapped_column(String(120))
    confirmed_at: Mapped[datetime] = mapped_column(DateTime)


# A registration looks for an existing record of the same birth date (comparison/linkage.py, registration_warnings):
# an index on the registry's persons that only the linkage needs.
Index("ix_persons_birth_date_sex", Person.__table__.c.birth_date, Person.__table__.c.sex)
