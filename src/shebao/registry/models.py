"""Registry tables. Personal data is encrypted at rest; the ID number is found through its HMAC."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from shebao.core.db import Base, BigId  # noqa: F401 - BigId is imported from here by other contexts


class Region(Base):
    __tablename__ = "regions"

    code: Mapped[str] = mapped_column(String(9), primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    level: Mapped[int] = mapped_column(SmallInteger, index=True)
    parent_code: Mapped[str | None] = mapped_column(String(9), index=True)
    first_year: Mapped[int | None] = mapped_column(SmallInteger)
    last_year: Mapped[int | None] = mapped_column(SmallInteger)
    # Every name the code carried with its years, as JSON: [{"name":..,"first_year":..,"last_year":..}].
    name_history: Mapped[str] = mapped_column(Text, default="[]")
    origin: Mapped[str] = mapped_column(String(16))  # stdnum | demo | import


class Person(Base):
    """One person, one number. The current state; every version is kept in person_versions."""

    __tablename__ = "persons"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    id_number_hash: Mapped[str] = mapped_column(String(64), unique=True)
    id_number_enc: Mapped[bytes] = mapped_column(LargeBinary)
    id_number_masked: Mapped[str] = mapped_column(String(18))
    birth_date: Mapped[date] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(1))
    address_code: Mapped[str] = mapped_column(String(6))
    name: Mapped[str] = mapped_column(String(50), index=True)
    hukou_region_code: Mapped[str] = mapped_column(String(9), ForeignKey("regions.code"))
    residence_region_code: Mapped[str] = mapped_column(String(9), ForeignKey("regions.code"))
    phone_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    # The phone's keyed hash (FieldCipher.lookup_hash of the normalised number), as for the ID number: one phone
    # given by many claimants is found without decrypting (risk rule R17).
    phone_hash: Mapped[str | None] = mapped_column(String(64))
    # The police household register's household number (户号), where known: staff acting on a family member's record
    # (risk rule R18) are those of one household.
    household_number: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(10))
    death_date: Mapped[date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, default=1)
    effective_from: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)

    __table_args__ = (Index("ix_persons_residence_region_code", "residence_region_code"),
                      Index("ix_persons_phone_hash", "phone_hash"), Index("ix_persons_household_number", "household_number"))


class PersonVersion(Base):
    """Effective-dated history of a person's changeable information, written once per change."""

    __tablename__ = "person_versions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    person_id: Mapped[int] = mapped_column(BigId, ForeignKey("persons.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    effective_from: Mapped[date] = mapped_column(Date)
    name: Mapped[str] = mapped_column(String(50))
    hukou_region_code: Mapped[str] = mapped_column(String(9))
    residence_region_code: Mapped[str] = mapped_column(String(9))
    phone_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(10))
    death_date: Mapped[date | None] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(200))
    recorded_by: Mapped[str] = mapped_column(String(120))
    recorded_at: Mapped[datetime] = mapped_column(DateTime)


class Employer(Base):
    __tablename__ = "employers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    region_code: Mapped[str] = mapped_column(String(9), ForeignKey("regions.code"), index=True)
    industry_code: Mapped[str] = mapped_column(String(5))
    status: Mapped[str] = mapped_column(String(10))
    registered_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class DeathReview(Base):
    """A death record that contradicts what is known (the person proved alive after the reported date):
    held for a second clerk's decision instead of being taken silently."""

    __tablename__ = "death_reviews"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    person_id: Mapped[int] = mapped_column(BigId, ForeignKey("persons.id"), index=True)
    death_date: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(200))
    conflict: Mapped[str] = mapped_column(String(200))  # why it is held, in Chinese and English
    status: Mapped[str] = mapped_column(String(10))  # pending | confirmed | rejected
    recorded_by: Mapped[str] = mapped_column(String(120))
    recorded_at: Mapped[datetime] = mapped_column(DateTime)
    decided_by: Mapped[str | None] = mapped_column(String(120))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    decision_reason: Mapped[str | None] = mapped_column(String(200))
