"""`make bench`: run every benchmark, print the figures, and write docs/benchmarks.md."""

from __future__ import annotations

import os
import platform
import sys
from datetime import datetime
from pathlib import Path

from bench import benefits_bench, cards_bench, contributions_bench, registry_bench
from bench.common import Result

DOC = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"


def main() -> None:
    persons = int(os.environ.get("SHEBAO_BENCH_PERSONS", "100000"))
    insured = int(os.environ.get("SHEBAO_BENCH_INSURED", "1000000"))
    retirees = int(os.environ.get("SHEBAO_BENCH_RETIREES", "1000000"))
    results: list[Result] = []
    for label, run in (
        ("ID validation", registry_bench.id_validation),
        ("QR verification", cards_bench.qr_verification),
        ("card production batch", cards_bench.production_batch),
        ("seed (SQLite)", lambda: registry_bench.seed_province(persons)),
        ("audit verify", registry_bench.verify_audit_chain),
        ("month-end (SQLite)", lambda: contributions_bench.month_end(insured)),
        ("pension awards and payroll (SQLite)", lambda: benefits_bench.awards_and_payroll(retirees)),
    ):
        print(f"running {label} …", file=sys.stderr, flush=True)
        outcome = run()
        results.extend(outcome if isinstance(outcome, list) else [outcome])
    postgres = os.environ.get("SHEBAO_BENCH_POSTGRES_URL")
    if postgres:
        print("running seed (PostgreSQL) …", file=sys.stderr, flush=True)
        results.append(registry_bench.seed_province(persons, postgres))
        print("running month-end (PostgreSQL) …", file=sys.stderr, flush=True)
        results.append(contributions_bench.month_end(insured, postgres))
        print("running pension awards and payroll (PostgreSQL) …", file=sys.stderr, flush=True)
        results.extend(benefits_bench.awards_and_payroll(retirees, postgres))
    table = render(results)
    print(table)
    write_doc(table)


def render(results: list[Result]) -> str:
    lines = ["| benchmark | rows | seconds | rows/s | baseline | baseline s | ratio |", "| --- | ---: | ---: | ---: | --- | ---: | ---: |"]
    for r in results:
        lines.append(f"| {r.what} | {r.rows:,} | {r.seconds:.2f} | {r.rate:,.0f} | {r.baseline} | "
                     f"{r.baseline_seconds:.2f} | {r.ratio:.2f}x |")
    return "\n".join(lines)


def write_doc(table: str) -> None:
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
    marker_start, marker_end = "<!-- bench:start -->", "<!-- bench:end -->"
    block = (f"{marker_start}\nLast run {datetime.now():%Y-%m-%d %H:%M} on {platform.machine()}, "
             f"{os.cpu_count()} cores, Python {platform.python_version()}.\n\n{table}\n{marker_end}")
    if marker_start in text and marker_end in text:
        text = text[:text.index(marker_start)] + block + text[text.index(marker_end) + len(marker_end):]
    else:
        text = text + "\n" + block + "\n"
    DOC.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
