"""Imported registries: each import recorded, and each kind's rows. An ID number is never stored: a row holds our
keyed hash of it (the same `persons.id_number_hash` holds), or — for a file sent hashed under a key agreed with the
other department — that hash, which the comparison matches against the same hash of our numbers."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from shebao.core.db import Base, BigId


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
