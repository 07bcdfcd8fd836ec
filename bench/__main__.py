"""`make bench`: run every benchmark, print the figures, and write docs/benchmarks.md.

SHEBAO_BENCH_ONLY (comma-separated names from BENCHMARKS, e.g. "correction,interest") runs only those; their rows
replace the same benchmarks' rows in the table of docs/benchmarks.md (a row of another size included), the other rows
are kept from the run before. Unset: every benchmark, and the table is written anew."""

from __future__ import annotations

import os
import platform
import re
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from bench import (
    archive_bench,
    benefits_bench,
    cards_bench,
    cockpit_bench,
    comparison_bench,
    contributions_bench,
    corrections_bench,
    fund_bench,
    interest_bench,
    linkage_bench,
    registry_bench,
    risk_screening_bench,
    transfers_bench,
)
from bench.common import Result

DOC = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
MARKER_START, MARKER_END = "<!-- bench:start -->", "<!-- bench:end -->"


def _size(variable: str, default: int) -> int:
    return int(os.environ.get(variable, str(default)))


def benchmarks() -> list[tuple[str, str, Callable[[str | None], Result | list[Result]] | None, bool]]:
    """(name, label, run given a PostgreSQL URL or None, also on PostgreSQL), in the order of the table."""
    persons = _size("SHEBAO_BENCH_PERSONS", 100_000)
    insured = _size("SHEBAO_BENCH_INSURED", 1_000_000)
    retirees = _size("SHEBAO_BENCH_RETIREES", 1_000_000)
    corrected = _size("SHEBAO_BENCH_CORRECTED", 100_000)
    accounts = _size("SHEBAO_BENCH_ACCOUNTS", 1_000_000)
    fund_insured = _size("SHEBAO_BENCH_FUND_INSURED", 200_000)
    archives = _size("SHEBAO_BENCH_ARCHIVES", 10_000)
    compared = _size("SHEBAO_BENCH_COMPARISON_PERSONS", 10_000_000)
    compared_on_spark = _size("SHEBAO_BENCH_COMPARISON_SPARK_PERSONS", 1_000_000)
    linkage_records = _size("SHEBAO_BENCH_LINKAGE", 1_000_000)
    cockpit_persons = _size("SHEBAO_BENCH_COCKPIT_PERSONS", 1_000_000)
    screened = _size("SHEBAO_BENCH_SCREENING_INSURED", 1_000_000)
    return [
        ("id", "ID validation", lambda _url: registry_bench.id_validation(), False),
        ("qr", "QR verification", lambda _url: cards_bench.qr_verification(), False),
        ("cards", "card production batch", lambda _url: cards_bench.production_batch(), False),
        ("seed", "seed", lambda url: registry_bench.seed_province(persons, url), True),
        ("audit", "audit verify", lambda _url: registry_bench.verify_audit_chain(), False),
        ("month-end", "month-end", lambda url: contributions_bench.month_end(insured, url), True),
        ("awards", "pension awards and payroll", lambda url: benefits_bench.awards_and_payroll(retirees, url), True),
        ("correction", "back-dated end corrected", lambda url: corrections_bench.correction(corrected, url), True),
        ("interest", "year-end interest", lambda url: interest_bench.year_end_interest(accounts, url), True),
        ("fund", "national fund settlement", lambda url: fund_bench.national_settlement(fund_insured, url), True),
        ("transfers", "transfers", lambda url: transfers_bench.transfers(*transfers_bench.sizes(), url), True),
        ("archive", "archives one by one", lambda url: archive_bench.archives(archives, url), True),
        ("comparison", "comparison lists (DuckDB, pandas, Spark)",
         lambda _url: comparison_bench.comparison(compared, compared_on_spark), False),
        ("linkage", "fuzzy linkage", lambda _url: linkage_bench.linkage(linkage_records), False),
        ("cockpit", "cockpit figures and refresh",
         lambda url: cockpit_bench.cockpit_figures(cockpit_persons, url), True),
        ("screening", "risk screening", lambda _url: risk_screening_bench.screening(screened), False),
    ]


def main() -> None:
    known = benchmarks()
    only = [name.strip() for name in os.environ.get("SHEBAO_BENCH_ONLY", "").split(",") if name.strip()]
    unknown = sorted(set(only) - {name for name, *_ in known})
    if unknown:
        sys.exit(f"SHEBAO_BENCH_ONLY: no benchmark {', '.join(unknown)}; the names are "
                 f"{', '.join(name for name, *_ in known)}")
    chosen = [b for b in known if not only or b[0] in only]
    postgres = os.environ.get("SHEBAO_BENCH_POSTGRES_URL")
    runs = [(label + (" (SQLite)" if on_postgres else ""), run, None) for _name, label, run, on_postgres in chosen]
    if postgres:
        runs += [(f"{label} (PostgreSQL)", run, postgres) for _name, label, run, on_postgres in chosen if on_postgres]
    results: list[Result] = []
    for label, run, url in runs:
        print(f"running {label} …", file=sys.stderr, flush=True)
        outcome = run(url)
        results.extend(outcome if isinstance(outcome, list) else [outcome])
    table = render(results)
    print(table)
    write_doc(table if not only else merge(_table_rows(), _rows(results)), partial=bool(only))


HEADER = ["| benchmark | rows | seconds | rows/s | baseline | baseline s | ratio |",
          "| --- | ---: | ---: | ---: | --- | ---: | ---: |"]


def _rows(results: list[Result]) -> list[str]:
    return [f"| {r.what} | {r.rows:,} | {r.seconds:.2f} | {r.rate:,.0f} | {r.baseline} | "
            f"{r.baseline_seconds:.2f} | {r.ratio:.2f}x |" for r in results]


def render(results: list[Result]) -> str:
    return "\n".join(HEADER + _rows(results))


def _table_rows() -> list[str]:
    """The rows of the table now in the document."""
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
    if MARKER_START not in text or MARKER_END not in text:
        return []
    block = text[text.index(MARKER_START):text.index(MARKER_END)]
    return [line for line in block.splitlines() if line.startswith("| ") and line not in HEADER]


def _kind(row: str) -> str:
    """A row's benchmark whatever its size: its first cell with the numbers taken out."""
    return re.sub(r"\d[\d,]*", "#", row.split("|")[1].strip())


def _backend(row: str) -> str:
    first = row.split("|")[1]
    return "postgresql" if "postgresql" in first.lower() else "sqlite" if "sqlite" in first.lower() else ""


def merge(old: list[str], new: list[str]) -> str:
    """The table with the new rows in place of the old rows of the same benchmarks; a benchmark the table did not
    have goes after the last row on the same database (else at the end)."""
    rows = list(old)
    for row in new:
        same = [i for i, existing in enumerate(rows) if _kind(existing) == _kind(row)]
        if same:
            rows[same[0]] = row
            continue
        backend = [i for i, existing in enumerate(rows) if _backend(existing) and _backend(existing) == _backend(row)]
        rows.insert(backend[-1] + 1 if backend else len(rows), row)
    return "\n".join(HEADER + rows)


def write_doc(table: str, *, partial: bool = False) -> None:
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
    kept = " Rows of the benchmarks not run (SHEBAO_BENCH_ONLY) are from an earlier run." if partial else ""
    block = (f"{MARKER_START}\nLast run {datetime.now():%Y-%m-%d %H:%M} on {platform.machine()}, "
             f"{os.cpu_count()} cores, Python {platform.python_version()}.{kept}\n\n{table}\n{MARKER_END}")
    if MARKER_START in text and MARKER_END in text:
        text = text[:text.index(MARKER_START)] + block + text[text.index(MARKER_END) + len(MARKER_END):]
    else:
        text = text + "\n" + block + "\n"
    DOC.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
