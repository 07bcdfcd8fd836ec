"""The comparison at national shape: `SHEBAO_BENCH_COMPARISON_PERSONS` (default 10,000,000) residents in the population
register, 6,000,000 of them insured, 100,000 deaths, 20,000 planted duplicates (bench/comparison_data.py), written as
Parquet one directory per table and one file per province, then the lists asked for the most populous province
(Guangdong, 440000) with `engine.run(engine="duckdb")` over the Parquet folder, against a plain pandas baseline in the
same run: `pandas.merge` (anti-joins through the merge indicator) computing the same two lists, uninsured and
deceased_paid, from the same files. Then the seven lists on Spark (local[2]) over a snapshot of
`SHEBAO_BENCH_COMPARISON_SPARK_PERSONS` (default 1,000,000) residents, beside DuckDB over the same files.

Every measured part runs in a child process of its own (`python -m bench.comparison_bench JOB`), which reports its
time and its peak resident memory (getrusage maxrss; for Spark the JVM's too): DuckDB's memory is native, so only the
process's RSS tells it. Every run's lists are checked against the generator's planted truth (rows per list, and the
amounts paid after a death or during a sentence): the bench fails rather than time a wrong answer. The generated
files live in a temporary folder (`SHEBAO_BENCH_TMP`, else the system's) removed at the end.
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import Result

PROVINCE = "440000"
TWO = ("uninsured", "deceased_paid")
ROOT = Path(__file__).resolve().parent.parent


def comparison(persons: int, spark_persons: int) -> list[Result]:
    root = Path(tempfile.mkdtemp(prefix="shebao-compbench-", dir=os.environ.get("SHEBAO_BENCH_TMP")))
    try:
        return _comparison(persons, spark_persons, root)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _comparison(persons: int, spark_persons: int, root: Path) -> list[Result]:
    national, small = root / "national", root / "small"
    made = _child("generate", persons=persons, folder=str(national))
    truth = made["truth"]
    everything = _child("duckdb", folder=str(national), province=PROVINCE)
    _check("DuckDB, seven lists", everything, truth)
    two = _child("duckdb", folder=str(national), province=PROVINCE, kinds=list(TWO))
    _check("DuckDB, two lists", two, truth)
    baseline = _child("pandas", folder=str(national), province=PROVINCE)
    _check("pandas.merge", baseline, truth)

    made_small = _child("generate", persons=spark_persons, folder=str(small))
    on_spark = _child("spark", folder=str(small), province=PROVINCE)
    _check("Spark", on_spark, made_small["truth"])
    on_duckdb = _child("duckdb", folder=str(small), province=PROVINCE)
    _check("DuckDB over the Spark sample", on_duckdb, made_small["truth"])
    differ = [kind for kind in on_spark["digests"] if on_spark["digests"][kind] != on_duckdb["digests"][kind]]
    if differ:
        raise AssertionError(f"Spark's rows differ from DuckDB's in {differ}")

    found = sum(everything["counts"].values())
    pandas_label = (f"pandas.merge (anti-joins by indicator) of the same two lists over the same Parquet, peak RSS "
                    f"{_gb(baseline['maxrss'])}")
    return [
        Result("comparison_generate",
               f"national-shaped comparison snapshot generated with numpy/pyarrow: {persons:,} residents, "
               f"{made['sizes']['insured']:,} insured, {made['deaths']:,} deaths, {made['duplicates']:,} planted "
               f"duplicates → {made['rows']:,} rows in {made['files']} Parquet files ({_gb(made['bytes'] // 1024)}), "
               f"peak RSS {_gb(made['maxrss'])}",
               made["rows"], made["seconds"], "of which writing the tables as Parquet (one file per province)",
               made["write_seconds"]),
        Result("comparison_two",
               f"comparison lists uninsured + deceased_paid for {PROVINCE} ({two['counts']['uninsured']:,} + "
               f"{two['counts']['deceased_paid']:,} rows, as planted) over {persons:,} residents in Parquet, DuckDB, "
               f"peak RSS {_gb(two['maxrss'])}",
               persons, two["seconds"], pandas_label, baseline["seconds"]),
        Result("comparison_seven",
               f"all seven comparison lists for {PROVINCE} ({found:,} rows, as planted) over {persons:,} residents in "
               f"Parquet, DuckDB, peak RSS {_gb(everything['maxrss'])}",
               persons, everything["seconds"], "pandas.merge of two of the seven (as above)", baseline["seconds"]),
        Result("comparison_spark",
               f"all seven comparison lists for {PROVINCE} over {spark_persons:,} residents on Spark local[2] "
               f"(JVM start {on_spark['start_seconds']:.1f} s not counted; peak RSS JVM {_gb(on_spark['jvm_maxrss'])})",
               spark_persons, on_spark["seconds"],
               f"DuckDB, the same lists over the same Parquet (peak RSS {_gb(on_duckdb['maxrss'])})",
               on_duckdb["seconds"]),
    ]


def _gb(kilobytes: int) -> str:
    return f"{kilobytes / 1024 / 1024:.1f} GB" if kilobytes >= 1024 * 1024 else f"{kilobytes / 1024:.0f} MB"


def _check(what: str, measured: dict, truth: dict) -> None:
    expected = {kind: truth["counts"][kind][PROVINCE] for kind in measured["counts"]}
    amounts = {kind: truth["amounts"][kind][PROVINCE] for kind in measured["amounts"]}
    if measured["counts"] != expected or measured["amounts"] != amounts:
        raise AssertionError(f"{what}: the lists are not what was planted: {measured['counts']} {measured['amounts']}, "
                             f"planted {expected} {amounts}")


def _child(job: str, **arguments) -> dict:
    """Run one measured part in a fresh process; its last line of output is its report (JSON)."""
    print(f"  comparison: {job} {arguments} …", file=sys.stderr, flush=True)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    done = subprocess.run([sys.executable, "-m", "bench.comparison_bench", job, json.dumps(arguments)], cwd=ROOT,
                          env=env, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"comparison bench {job} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# ---- the children ---------------------------------------------------------------------------------------------

def _question(province: str):
    from bench.comparison_data import AS_OF
    from shebao.comparison import engine

    return engine.Question(province=province, as_of=AS_OF, minimum_age_years=16, interrupted_after_months=3)


def _peak() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux


def _report(results: dict) -> dict:
    """Rows per list, and the amounts of the lists of money paid."""
    return {"counts": {kind: table.num_rows for kind, table in results.items()},
            "amounts": {kind: sum(table.column("amount_fen").to_pylist()) for kind, table in results.items()
                        if kind in ("deceased_paid", "prisoner_paid")},
            "digests": {kind: hashlib.sha256(json.dumps(table.to_pylist(), default=str).encode()).hexdigest()
                        for kind, table in results.items()}}


def _generate(persons: int, folder: str) -> dict:
    from bench import comparison_data as data

    started = time.perf_counter()
    made = data.generate(persons)
    rows, files, writing = data.write_parquet(made.tables, Path(folder))
    seconds = time.perf_counter() - started
    size = sum(path.stat().st_size for path in Path(folder).rglob("*.parquet"))
    n = data.sizes(persons)
    deaths = sum(n[k] for k in ("dead_paid", "dead_recovered", "dead_stopped", "dead_insured", "dead_young",
                                "dead_elderly"))
    duplicates = sum(n[k] for k in ("two_provinces", "two_participations", "two_cards", "second_numbers"))
    return {"seconds": seconds, "write_seconds": writing, "rows": rows, "files": files, "bytes": size,
            "maxrss": _peak(), "sizes": n, "deaths": deaths, "duplicates": duplicates,
            "truth": {"counts": {kind: dict(zip(data.CODES, map(int, counts)))
                                 for kind, counts in made.truth.counts.items()},
                      "amounts": {kind: dict(zip(data.CODES, map(int, amounts)))
                                  for kind, amounts in made.truth.amounts.items()}}}


def _duckdb(folder: str, province: str, kinds: list[str] | None = None) -> dict:
    from shebao.comparison import engine, lists

    started = time.perf_counter()
    results = engine.run(engine="duckdb", inputs=Path(folder), question=_question(province),
                         kinds=kinds or list(lists.DEFINITIONS))
    return {"seconds": time.perf_counter() - started, "maxrss": _peak(), **_report(results)}


def _spark(folder: str, province: str) -> dict:
    from pyspark import SparkContext

    from shebao.comparison import engine
    from shebao.comparison.spark import session

    started = time.perf_counter()
    spark = session()
    spark.range(1).count()
    start_seconds = time.perf_counter() - started
    started = time.perf_counter()
    results = engine.run(engine="spark", inputs=Path(folder), question=_question(province))
    seconds = time.perf_counter() - started
    gateway = SparkContext._gateway
    process = getattr(gateway, "proc", None)
    spark.stop()
    gateway.shutdown()
    if process is not None:  # the JVM ends when its stdin closes; reaped, its peak RSS counts among the children's
        process.stdin.close()
        process.wait(timeout=60)
    jvm = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {"seconds": seconds, "start_seconds": start_seconds, "maxrss": _peak(), "jvm_maxrss": jvm,
            **_report(results)}


def _pandas(folder: str, province: str) -> dict:
    """Uninsured and deceased_paid as a pandas user would write them: read the columns, filter, merge; an anti-join
    is a left merge with indicator=True keeping 'left_only'."""
    import pandas as pd
    import pyarrow.parquet as pq

    question = _question(province)
    values = question.placeholders()
    as_of, now = pd.Timestamp(question.as_of), values["as_of_month"]

    def read(name: str, columns: list[str]) -> pd.DataFrame:
        return pq.read_table(Path(folder) / name, columns=columns).to_pandas(date_as_object=False)

    def anti(left: pd.DataFrame, right: pd.Series, on: str) -> pd.DataFrame:
        merged = left.merge(right.drop_duplicates().to_frame(on), on=on, how="left", indicator=True)
        return merged[merged["_merge"] == "left_only"].drop(columns="_merge")

    started = time.perf_counter()
    persons = read("persons", ["person_id", "id_hash", "name", "residence_region", "death_date", "death_month"])
    deaths = read("ext_deaths", ["id_hash", "death_date", "death_month"])
    deaths = deaths[deaths["death_date"] <= as_of]
    registry = persons[persons["death_date"].notna() & (persons["death_date"] <= as_of)]
    dead = pd.concat([deaths[["id_hash", "death_month"]], registry[["id_hash", "death_month"]]])
    dead = dead.groupby("id_hash", as_index=False)["death_month"].min()

    population = read("ext_population", ["id_hash", "name", "sex", "birth_date", "birth_month", "residence_region",
                                         "status"])
    population = population[(population["status"] == "normal")
                            & (population["residence_region"].str[:2] == values["province_prefix"])
                            & (population["birth_date"] <= pd.Timestamp(values["adult_born_by"]))]
    population = population.merge(read("retirement_ages", ["sex", "birth_month", "age_months"]),
                                  on=["sex", "birth_month"])
    population = population[population["birth_month"] + population["age_months"] > now]
    population = anti(population, dead["id_hash"], "id_hash")
    population = population.merge(persons[["person_id", "id_hash"]], on="id_hash", how="left")
    participations = read("participations", ["person_id", "exclusion_group", "start_date", "end_date", "status"])
    in_pension = participations[(participations["exclusion_group"] == "pension")
                                & (participations["start_date"] <= as_of)
                                & (participations["end_date"].isna() | (participations["end_date"] >= as_of))
                                & (participations["status"] != "ended")]["person_id"]
    population = anti(population, in_pension, "person_id")
    links = read("person_links", ["person_id_a", "person_id_b"])
    linked = links.merge(in_pension.drop_duplicates().to_frame("person_id_b"), on="person_id_b")["person_id_a"]
    population = anti(population, linked.rename("person_id"), "person_id")
    students = read("ext_students", ["id_hash", "until"])
    population = anti(population, students[students["until"] >= as_of]["id_hash"], "id_hash")
    drawing = read("drawing", ["person_id", "benefit", "since_month"])
    pension = drawing[(drawing["since_month"] <= now) & (drawing["benefit"] == "pension")]["person_id"]
    population = anti(population, pension, "person_id")
    uninsured = anti(population, read("contributions", ["person_id"])["person_id"], "person_id")  # paid once: interrupted

    paid = read("benefit_payments", ["person_id", "province", "month", "amount_fen"])
    paid = paid[(paid["month"] <= now) & (paid["province"] == province)]
    paid = paid.merge(persons[["person_id", "id_hash", "name", "residence_region"]], on="person_id")
    paid = paid.merge(dead, on="id_hash")
    paid = paid[paid["month"] > paid["death_month"]]
    paid_after = paid.groupby(["person_id", "id_hash"], as_index=False).agg(
        amount_fen=("amount_fen", "sum"), months=("month", "nunique"), month=("death_month", "min"),
        region_code=("residence_region", "min"), name=("name", "min"))
    recovering = read("recoveries", ["person_id", "amount_fen"]).rename(columns={"amount_fen": "recovering"})
    paid_after = paid_after.merge(recovering, on="person_id", how="left")
    paid_after["amount_fen"] -= paid_after["recovering"].fillna(0).astype("int64")
    deceased_paid = paid_after[paid_after["amount_fen"] > 0]
    seconds = time.perf_counter() - started
    counts = {"uninsured": len(uninsured), "deceased_paid": len(deceased_paid)}
    return {"seconds": seconds, "maxrss": _peak(), "counts": counts,
            "amounts": {"deceased_paid": int(deceased_paid["amount_fen"].sum())}}


if __name__ == "__main__":
    jobs = {"generate": _generate, "duckdb": _duckdb, "spark": _spark, "pandas": _pandas}
    print(json.dumps(jobs[sys.argv[1]](**json.loads(sys.argv[2]))))
