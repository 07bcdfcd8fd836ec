"""Imported registries: each import recorded, and each kind's rows. An ID number is never stored: a row holds our
keyed hash of it (the same `persons.id_number_hash` holds), or — for a file sent hashed under a key agreed with the
other department — that hash, which the comparison matches against the same hash of our numbers."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
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


TABLES = {"population": ExtPopulation, "deaths": ExtDeath, "prisoners": ExtPrisoner, "enterprises": ExtEnterprise,
          "tax_employment": ExtTaxEmployment, "students": ExtStudent}


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
