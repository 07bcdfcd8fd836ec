"""A national-shaped snapshot for the comparison (comparison/snapshot.py SCHEMAS), generated with numpy and pyarrow —
whole columns at a time, never a Python loop per person — with its planted truth.

`generate(residents)` spreads `residents` residents (10,000,000 for the bench) over the 31 provinces by their share of
the country's population and gives each a role: insured (3 in 5), drawing a pension, a child, a student, past working
age, never insured, insured no more, deregistered, dead … Within the roles it plants what the lists must find —
contributions stopped, benefits paid after a death or during a sentence, two provinces or two participations at once,
two cards, a second ID number, enterprises not registered, employers declaring fewer people than the tax records —
and near misses beside them that fail one condition each (contributions stopped two months ago, benefits stopped at
the death or already recovered, a sentence served before the year, a student, someone dead, a deregistered household,
someone who paid once and stopped — interrupted, not uninsured …). The truth is
counted from the roles, never by running the lists' logic again: `Truth.count(kind, province)`.

`generate(...).tables` yields the tables one at a time (once), each with every row's province (the partition a
province's nightly extract would write), so that `write_parquet` can write one file per province and free each table
before the next; `generate(...).arrow()` keeps them all in memory, for a small sample. Everything is a function of
the seed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from shebao.comparison import snapshot
from shebao.policy.store import default_store

AS_OF = date(2026, 11, 15)
NOW = snapshot.month_index(AS_OF)
_EPOCH = date(1970, 1, 1)
TODAY = (AS_OF - _EPOCH).days  # days since 1970-01-01, as date32 counts them
YEAR = 365.25

# The 31 provinces and their residents in millions (7th census, 2020, rounded): the snapshot's shape.
PROVINCES: tuple[tuple[str, int], ...] = (
    ("110000", 22), ("120000", 14), ("130000", 74), ("140000", 35), ("150000", 24), ("210000", 43), ("220000", 24),
    ("230000", 32), ("310000", 25), ("320000", 85), ("330000", 65), ("340000", 61), ("350000", 41), ("360000", 45),
    ("370000", 102), ("410000", 99), ("420000", 58), ("430000", 66), ("440000", 126), ("450000", 50), ("460000", 10),
    ("500000", 32), ("510000", 84), ("520000", 39), ("530000", 47), ("540000", 4), ("610000", 40), ("620000", 25),
    ("630000", 6), ("640000", 7), ("650000", 26),
)
CODES = [code for code, _ in PROVINCES]
BIG = "440000"  # Guangdong, the most residents: the province the bench asks about
COUNTIES, STREETS = 20, 10  # per province, per county

# How many of each, for 10,000,000 residents; generate() scales them (a planted kind never below `floor`).
FULL: dict[str, int] = {
    "population": 10_000_000,
    # roles of the residents (the elderly take what is left)
    "insured": 6_000_000, "receivers": 300_000, "ended": 50_000, "second_numbers": 1_000, "children": 1_800_000,
    "students": 500_000, "students_expired": 50_000, "uninsured": 300_000, "deregistered": 100_000,
    "dead_young": 20_000, "dead_elderly": 64_700,
    # among the insured
    "interrupted": 150_000, "nearly_interrupted": 50_000, "dead_insured": 5_000, "unemployed": 10_000,
    "movers": 20_000, "two_provinces": 9_000, "two_participations": 8_000, "two_cards": 2_000,
    "prisoners_insured": 11_500,
    # among the receivers
    "dead_paid": 2_000, "dead_paid_registry": 400, "dead_paid_recovering": 500, "dead_recovered": 300,
    "dead_stopped": 8_000, "prisoner_paid": 300,
    "prisoner_released": 200, "early_retired": 5_000,
    # enterprises and the tax records
    "employers": 400_000, "unregistered": 60_000, "enterprises_deregistered": 100_000, "enterprises_future": 5_000,
    "tax_employers": 100_000, "under_declared": 8_000, "under_declared_missing": 2_000, "over_declared": 3_000,
    "zero_wage": 20_000,
}
PLANTED = {"interrupted", "two_provinces", "two_participations", "two_cards", "second_numbers", "dead_paid",
           "dead_paid_registry", "dead_paid_recovering", "dead_recovered", "dead_stopped", "prisoner_paid", "prisoner_released", "unregistered",
           "under_declared", "under_declared_missing", "ended", "students_expired", "uninsured"}
MIGRANT_SHARE = 0.05  # insured who work (and are insured) in another province than they live in
TAX_MONTHS = (NOW - 3, NOW - 2, NOW - 1)
PAID_MONTHS = 12  # receivers are paid for the last 12 months, the as-of month included
DEATH_SOURCES = ("民政殡葬", "卫健死亡医学证明", "公安户籍注销")
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
SEXES, STATUSES = pa.array(["M", "F"]), pa.array(["normal", "deregistered", "moved_out"])
SCHEMES, BENEFITS = pa.array(["employee_pension", "resident_pension"]), pa.array(["pension", "unemployment"])
PROVINCE_CODES = pa.array(CODES)
_GIVEN = ("伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超",
          "秀兰", "霞", "平", "刚", "桂英", "建华", "建国", "志强", "海燕", "红梅", "晓东", "子涵", "浩然", "欣怡")


@dataclass
class Truth:
    """What each list must yield, by province: counts, and the amounts of the lists of money paid."""

    counts: dict[str, np.ndarray] = field(default_factory=dict)  # kind → rows per province (index of CODES)
    amounts: dict[str, np.ndarray] = field(default_factory=dict)  # kind → fen per province

    def count(self, kind: str, province: str) -> int:
        return int(self.counts[kind][CODES.index(province)])

    def amount(self, kind: str, province: str) -> int:
        return int(self.amounts[kind][CODES.index(province)]) if kind in self.amounts else 0

    def expected(self, province: str) -> dict[str, int]:
        return {kind: self.count(kind, province) for kind in self.counts}


@dataclass
class Snapshot:
    residents: int
    truth: Truth
    tables: Iterator[tuple[str, pa.Table, np.ndarray | None]]  # (name, table, each row's province index or None)

    def arrow(self) -> dict[str, pa.Table]:
        return dict((name, table) for name, table, _ in self.tables)


def _by_province(values: np.ndarray) -> np.ndarray:
    return np.bincount(values, minlength=len(CODES)).astype(np.int64)


def _sum_by_province(values: np.ndarray, amounts: np.ndarray) -> np.ndarray:
    sums = np.zeros(len(CODES), dtype=np.int64)
    np.add.at(sums, values, amounts.astype(np.int64))
    return sums


# ---- columns, whole arrays at a time ---------------------------------------------------------------------------

def _strings(codes: np.ndarray) -> pa.Array:
    """ASCII strings of one width from an (n, width) array of byte codes, without a Python object per row."""
    n, width = codes.shape
    data = np.ascontiguousarray(codes, dtype=np.uint8)
    if n * width >= 2**31:
        offsets = np.arange(0, (n + 1) * width, width, dtype=np.int64)
        return pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data)).cast(pa.string())
    offsets = np.arange(0, (n + 1) * width, width, dtype=np.int32)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data))


def _digits(numbers: np.ndarray, width: int) -> np.ndarray:
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return (numbers.astype(np.int64)[:, None] // powers % 10 + ord("0")).astype(np.uint8)


def _id_hashes(rng: np.random.Generator, n: int) -> pa.Array:
    """64 hex characters each, like our HMAC-SHA256 of an ID number: the first 16 a bijection of the row number
    (so no two collide), the rest random."""
    hexes = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
    mixed = (np.arange(n, dtype=np.uint64) + np.uint64(rng.integers(1, 2**62))) * np.uint64(0x9E3779B97F4A7C15)
    raw = np.concatenate([mixed.astype(">u8").view(np.uint8).reshape(n, 8),
                          rng.integers(0, 256, size=(n, 24), dtype=np.uint8)], axis=1)
    codes = np.empty((n, 64), dtype=np.uint8)
    codes[:, 0::2], codes[:, 1::2] = hexes[raw >> 4], hexes[raw & 15]
    return _strings(codes)


def _dates(days: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    array = pa.array(days.astype(np.int32), type=pa.int32(), mask=None if valid is None else ~valid)
    return array.cast(pa.date32())


def _months(days: np.ndarray) -> np.ndarray:
    return (days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64) + 1970 * 12).astype(np.int32)


def _month_days(months: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A day (1st to 28th) in each month index."""
    first = (months.astype(np.int64) - 1970 * 12).astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    return first + rng.integers(0, 28, size=len(months))


def _region_vocabulary() -> tuple[pa.Array, pa.Array]:
    """Street codes (9 digits) and county codes (6 digits): province p's county c is index p*COUNTIES + c, its street
    s index (p*COUNTIES + c)*STREETS + s."""
    counties = [f"{code[:2]}{c // 5 + 1:02d}{c % 5 + 1:02d}" for code in CODES for c in range(COUNTIES)]
    streets = [f"{county}{s + 1:03d}" for county in counties for s in range(STREETS)]
    return pa.array(streets), pa.array(counties)


def _take(vocabulary: pa.Array, indexes: np.ndarray) -> pa.Array:
    return vocabulary.take(pa.array(indexes.astype(np.int64)))


def _age_days(rng: np.random.Generator, n: int, low_years: float, high_years: float) -> np.ndarray:
    return rng.integers(int(low_years * YEAR) + 1, int(high_years * YEAR), size=n)


def _other_province(rng: np.random.Generator, provinces: np.ndarray) -> np.ndarray:
    return (provinces + rng.integers(1, len(CODES), size=len(provinces))) % len(CODES)


def _uscc(serials: np.ndarray, provinces: np.ndarray) -> pa.Array:
    """18 characters: 91, the province's two digits, 0000, a serial of 10 digits (unique per enterprise)."""
    head = np.frombuffer(b"91", dtype=np.uint8)
    prefix = np.array([[ord(c) for c in code[:2]] for code in CODES], dtype=np.uint8)[provinces]
    codes = np.concatenate([np.broadcast_to(head, (len(serials), 2)), prefix,
                            np.full((len(serials), 4), ord("0"), dtype=np.uint8), _digits(serials, 10)], axis=1)
    return _strings(codes)


# ---- the world --------------------------------------------------------------------------------------------------

def sizes(residents: int, *, floor: int = 1) -> dict[str, int]:
    """FULL scaled to `residents`; every planted kind at least `floor`."""
    scale = residents / FULL["population"]
    counts = {name: round(value * scale) for name, value in FULL.items()}
    for name in PLANTED:
        counts[name] = max(floor, counts[name])
    counts["population"] = residents
    return counts


def generate(residents: int = FULL["population"], *, seed: int = 14, provinces: tuple[str, ...] | None = None,
             floor: int = 1) -> Snapshot:
    """The snapshot of `residents` residents (living in `provinces`, all 31 by default) and its truth."""
    world = _World(residents, seed=seed, provinces=provinces, floor=floor)
    return Snapshot(residents, world.truth, world.tables())


ROLES = ("insured", "receivers", "ended", "second_numbers", "children", "students", "students_expired", "uninsured",
         "deregistered", "dead_young", "elderly")
AGES = {"insured": (20, 55), "receivers": (61, 90), "ended": (25, 45), "second_numbers": (20, 45),
        "children": (0.01, 15.9), "students": (16.1, 23), "students_expired": (22, 26), "uninsured": (20, 45),
        "deregistered": (20, 45), "dead_young": (20, 45), "elderly": (65, 95)}  # years, clear of every age limit


class _World:
    """Every resident's attributes as whole columns (index = row of ext_population), the groups planted among them,
    and the truth counted from the groups."""

    def __init__(self, residents: int, *, seed: int, provinces: tuple[str, ...] | None, floor: int) -> None:
        rng = self.rng = np.random.default_rng(seed)
        n = self.n = sizes(residents, floor=floor)
        weights = np.array([share if provinces is None or code in provinces else 0 for code, share in PROVINCES],
                           float)
        self.weights = weights / weights.sum()
        self.streets, self.counties = _region_vocabulary()

        # Roles: each resident one, shuffled; the elderly are the rest.
        counts = [n[name] for name in ROLES[:-1]]
        counts.append(residents - sum(counts))
        if counts[-1] < n["dead_elderly"]:
            raise ValueError(f"{residents} residents are too few for the planted roles")
        role = np.repeat(np.arange(len(ROLES), dtype=np.int8), counts)
        rng.shuffle(role)
        self.role = {name: np.flatnonzero(role == code) for code, name in enumerate(ROLES)}
        del role

        # Where they live, who they are.
        self.province = rng.choice(len(CODES), size=residents, p=self.weights).astype(np.int64)
        self.street = self._street_in(self.province)
        self.sex = rng.integers(0, 2, size=residents).astype(np.int8)
        self.name = rng.integers(0, len(_SURNAMES) * len(_GIVEN), size=residents)
        age = np.empty(residents, dtype=np.int64)
        for name, rows in self.role.items():
            age[rows] = _age_days(rng, len(rows), *AGES[name])

        # Groups among the insured and among the receivers: disjoint slices of a shuffled order.
        self.ins = self._groups(self.role["insured"], (
            "interrupted", "nearly_interrupted", "dead_insured", "unemployed", "movers", "two_provinces",
            "two_participations", "two_cards", "second_numbers", "prisoners_insured"))
        self.rec = self._groups(self.role["receivers"], (
            "dead_paid", "dead_recovered", "dead_stopped", "prisoner_paid", "prisoner_released", "early_retired"))
        age[self.rec["early_retired"]] = _age_days(rng, n["early_retired"], 45, 55)
        # A second number is the same person as an insured one: same name, sex, birth date and address.
        self.linked, second = self.ins["second_numbers"], self.role["second_numbers"]
        for column in (self.province, self.street, self.sex, self.name, age):
            column[second] = column[self.linked]
        self.born = TODAY - age
        self.birth_month = _months(self.born)
        self.hukou = np.where(rng.random(residents) < 0.85, self.street // STREETS,
                              rng.integers(0, len(CODES) * COUNTIES, size=residents))
        self.status = np.zeros(residents, dtype=np.int8)  # normal
        self.status[self.role["deregistered"]] = rng.integers(1, 3, size=n["deregistered"])

        # Our registry: a person id for each resident we know (second numbers last: the larger ids).
        self.known = np.concatenate([self.role["insured"], self.role["receivers"], self.role["ended"], second])
        self.person_id = np.zeros(residents, dtype=np.int64)
        self.person_id[self.known] = np.arange(1, len(self.known) + 1)

        # Where the insured work and are insured: where they live, or (migrants) in another province.
        insured = self.role["insured"]
        self.work, self.work_street = self.province.copy(), self.street.copy()
        migrants = insured[rng.random(len(insured)) < MIGRANT_SHARE]
        self.work[migrants] = _other_province(rng, self.province[migrants])
        self.work_street[migrants] = self._street_in(self.work[migrants])
        self.second_province = _other_province(rng, self.work[self.ins["two_provinces"]])
        ended = self.role["ended"]
        self.ended_on = TODAY - rng.integers(200, 8 * 365, size=len(ended))  # at least 6 months ago

        # The last month paid: last month for the insured, earlier for the planted and near misses.
        self.last_month = np.full(residents, NOW - 1, dtype=np.int64)
        self.last_month[self.ins["interrupted"]] = rng.integers(NOW - 24, NOW - 3, size=n["interrupted"])
        self.last_month[self.ins["nearly_interrupted"]] = rng.integers(NOW - 3, NOW - 1, size=n["nearly_interrupted"])
        self.last_month[self.ins["dead_insured"]] = NOW - 6  # stopped because dead
        self.last_month[self.ins["unemployed"]] = NOW - 6  # stopped, drawing unemployment benefit since
        self.last_month[ended] = _months(self.ended_on)

        # Deaths: a month and a day for each of the dead.
        self.death_month = np.full(residents, -1, dtype=np.int64)
        self.dead = {"dead_paid": self.rec["dead_paid"], "dead_recovered": self.rec["dead_recovered"],
                     "dead_stopped": self.rec["dead_stopped"],
                     "dead_insured": self.ins["dead_insured"], "dead_young": self.role["dead_young"],
                     "dead_elderly": rng.permutation(self.role["elderly"])[:n["dead_elderly"]]}
        for group in ("dead_paid", "dead_recovered", "dead_stopped"):  # within the year paid, before the as-of month
            self.death_month[self.dead[group]] = rng.integers(NOW - PAID_MONTHS + 1, NOW, size=n[group])
        self.death_month[self.dead["dead_insured"]] = NOW - 5
        for group in ("dead_young", "dead_elderly"):
            self.death_month[self.dead[group]] = rng.integers(NOW - 36, NOW, size=n[group])
        everyone_dead = np.concatenate(list(self.dead.values()))
        self.death_day = np.full(residents, -1, dtype=np.int64)
        self.death_day[everyone_dead] = np.minimum(_month_days(self.death_month[everyone_dead], rng), TODAY)
        self.registry_death = self.rec["dead_paid"][:n["dead_paid_registry"]]  # our record; the others a department's

        # Receivers: an amount a month, paid the last 12 months; the dead who stopped, up to their death month.
        self.amount = rng.integers(150_000, 600_000, size=residents)
        self.last_paid = np.full(residents, NOW, dtype=np.int64)
        self.last_paid[self.rec["dead_stopped"]] = self.death_month[self.rec["dead_stopped"]]
        self.since = np.minimum(self.birth_month.astype(np.int64) + 60 * 12, NOW - PAID_MONTHS)
        self.since[self.rec["early_retired"]] = NOW - 24
        # Recoveries under way (a receivable posted): half of what some were paid after their death, all of it for
        # others (no longer on the list).
        self.recovering = self.rec["dead_paid"][len(self.rec["dead_paid"]) - n["dead_paid_recovering"]:]
        self.recovered = self.rec["dead_recovered"]
        self.recovery = np.zeros(residents, dtype=np.int64)
        self.recovery[self.recovering] = self._paid_after_death(self.recovering) // 2
        self.recovery[self.recovered] = self._paid_after_death(self.recovered)

        # Sentences: the planted receivers' within the year, the released' long before it, the insured's any time.
        self.from_month = np.full(residents, -1, dtype=np.int64)
        self.to_month = np.full(residents, -1, dtype=np.int64)  # -1: still serving
        paid = self.rec["prisoner_paid"]
        self.from_month[paid] = rng.integers(NOW - 10, NOW - 1, size=len(paid))
        self.to_month[paid] = np.where(rng.random(len(paid)) < 0.5, -1, rng.integers(self.from_month[paid] + 1, NOW))
        released = self.rec["prisoner_released"]
        self.from_month[released], self.to_month[released] = NOW - 40, NOW - 20
        other = self.ins["prisoners_insured"]
        self.from_month[other] = rng.integers(NOW - 60, NOW, size=len(other))
        ends = self.from_month[other] + rng.integers(1, 120, size=len(other))
        self.to_month[other] = np.where((rng.random(len(other)) < 0.5) | (ends > NOW), -1, ends)

        self.truth = self._truth()
        self.employer_tables = _employers(rng, n, weights=self.weights, streets=self.streets,
                                          counties=self.counties, truth=self.truth, employees=self.ins["rest"])

    def _paid_after_death(self, rows: np.ndarray) -> np.ndarray:
        return (NOW - self.death_month[rows]) * self.amount[rows]

    def _street_in(self, provinces: np.ndarray) -> np.ndarray:
        size = len(provinces)
        county = provinces.astype(np.int64) * COUNTIES + self.rng.integers(0, COUNTIES, size=size)
        return county * STREETS + self.rng.integers(0, STREETS, size=size)

    def _groups(self, rows: np.ndarray, names: tuple[str, ...]) -> dict[str, np.ndarray]:
        order = self.rng.permutation(rows)
        bounds = np.cumsum([0] + [self.n[name] for name in names])
        groups = {name: order[bounds[i]:bounds[i + 1]] for i, name in enumerate(names)}
        groups["rest"] = order[bounds[-1]:]
        return groups

    def _truth(self) -> Truth:
        """Counted from the groups: who each list must find, in which province's list."""
        truth, province, work, ins, rec, role = Truth(), self.province, self.work, self.ins, self.rec, self.role
        uninsured = np.concatenate([role["uninsured"], role["students_expired"]])  # the ended: interrupted only
        truth.counts["uninsured"] = _by_province(province[uninsured])
        truth.counts["interrupted"] = _by_province(np.concatenate([work[ins["interrupted"]], province[role["ended"]]]))
        dead_paid = rec["dead_paid"]
        truth.counts["deceased_paid"] = _by_province(province[dead_paid])
        truth.amounts["deceased_paid"] = _sum_by_province(
            province[dead_paid], self._paid_after_death(dead_paid) - self.recovery[dead_paid])
        prisoners = rec["prisoner_paid"]
        served_to = np.where(self.to_month[prisoners] < 0, NOW, self.to_month[prisoners])
        truth.counts["prisoner_paid"] = _by_province(province[prisoners])
        truth.amounts["prisoner_paid"] = _sum_by_province(
            province[prisoners], (served_to - self.from_month[prisoners]) * self.amount[prisoners])
        truth.counts["duplicates"] = (  # a person insured in two provinces is on both provinces' lists
            _by_province(work[ins["two_provinces"]]) + _by_province(self.second_province)
            + _by_province(work[ins["two_participations"]]) + _by_province(province[ins["two_cards"]])
            + _by_province(province[self.linked]))
        return truth

    # ---- the tables, one at a time ------------------------------------------------------------------------------

    def tables(self) -> Iterator[tuple[str, pa.Table, np.ndarray | None]]:
        self.hashes = _id_hashes(self.rng, self.n["population"])
        self.names = pa.array([s + g for s in _SURNAMES for g in _GIVEN])
        for build in (self._population, self._persons, self._participations, self._contributions,
                      self._benefit_payments, self._recoveries, self._drawing, self._cards, self._person_links, self._deaths,
                      self._prisoners, self._students):
            yield build()
        yield "register_links", snapshot.empty("register_links"), None
        yield from self.employer_tables(self.hashes)
        yield "retirement_ages", snapshot.retirement_ages(store=default_store(), as_of=AS_OF), None

    def _population(self):
        return "ext_population", pa.table({
            "id_hash": self.hashes, "name": _take(self.names, self.name), "sex": _take(SEXES, self.sex),
            "birth_date": _dates(self.born), "birth_month": pa.array(self.birth_month),
            "hukou_region": _take(self.counties, self.hukou), "residence_region": _take(self.streets, self.street),
            "status": _take(STATUSES, self.status),
        }, schema=snapshot.SCHEMAS["ext_population"]), self.province

    def _persons(self):
        known = self.known
        registry_dead = np.isin(known, self.registry_death)
        return "persons", pa.table({
            "person_id": pa.array(self.person_id[known]), "id_hash": self.hashes.take(pa.array(known)),
            "name": _take(self.names, self.name[known]), "sex": _take(SEXES, self.sex[known]),
            "birth_date": _dates(self.born[known]), "birth_month": pa.array(self.birth_month[known]),
            "residence_region": _take(self.streets, self.street[known]),
            "hukou_region": _take(self.counties, self.hukou[known]),
            "death_date": _dates(self.death_day[known], registry_dead),
            "death_month": pa.array(self.death_month[known].astype(np.int32), mask=~registry_dead),
        }, schema=snapshot.SCHEMAS["persons"]), self.province[known]

    def _participations(self):
        """Every insured person's employee pension where they work; the planted a second one (another province's,
        or the residents' scheme in the same province); the insured no more an ended one."""
        insured, ins, ended = self.role["insured"], self.ins, self.role["ended"]
        rows = np.concatenate([insured, ins["two_provinces"], ins["two_participations"], ended])
        where = np.concatenate([self.work[insured], self.second_province, self.work[ins["two_participations"]],
                                self.province[ended]])
        resident_scheme = np.zeros(len(rows), dtype=np.int8)
        resident_scheme[len(insured) + len(ins["two_provinces"]):len(rows) - len(ended)] = 1
        is_ended = np.zeros(len(rows), dtype=bool)
        is_ended[len(rows) - len(ended):] = True
        end = np.zeros(len(rows), dtype=np.int64)
        end[is_ended] = self.ended_on
        start = TODAY - self.rng.integers(90, 25 * 365, size=len(rows))
        start = np.where(is_ended, np.minimum(start, end - 365), start)
        county = np.where(where == self.work[rows], self.work_street[rows] // STREETS,
                          self._street_in(where) // STREETS)
        return "participations", pa.table({
            "person_id": pa.array(self.person_id[rows]), "scheme": _take(SCHEMES, resident_scheme),
            "exclusion_group": _take(pa.array(["pension"]), np.zeros(len(rows), np.int8)),
            "province": _take(PROVINCE_CODES, where), "region_code": _take(self.counties, county),
            "start_date": _dates(start), "end_date": _dates(end, is_ended),
            "status": _take(pa.array(["active", "ended"]), is_ended.astype(np.int8)),
        }, schema=snapshot.SCHEMAS["participations"]), where

    def _contributions(self):
        """The last month paid per person and place: the insured where they work, movers also where they worked
        before (20 months ago), receivers before they retired, the insured no more until they stopped."""
        insured, movers, receivers, ended = self.role["insured"], self.ins["movers"], self.role["receivers"], \
            self.role["ended"]
        before = _other_province(self.rng, self.work[movers])
        rows = np.concatenate([insured, movers, receivers, ended])
        where = np.concatenate([self.work[insured], before, self.province[receivers], self.province[ended]])
        region = np.concatenate([self.work_street[insured], self._street_in(before), self.street[receivers],
                                 self.street[ended]])
        month = np.concatenate([self.last_month[insured], np.full(len(movers), NOW - 20), self.since[receivers] - 1,
                                self.last_month[ended]])
        return "contributions", pa.table({
            "person_id": pa.array(self.person_id[rows]), "province": _take(PROVINCE_CODES, where),
            "region_code": _take(self.streets, region), "last_month": pa.array(month.astype(np.int32)),
        }, schema=snapshot.SCHEMAS["contributions"]), where

    def _benefit_payments(self):
        """Pensions month by month; the unemployed's benefit for the months since they stopped working."""
        receivers, unemployed = self.role["receivers"], self.ins["unemployed"]
        first_paid = NOW - PAID_MONTHS + 1
        months = np.concatenate([self.last_paid[receivers] - first_paid + 1, np.full(len(unemployed), 5)])
        payee = np.repeat(np.concatenate([receivers, unemployed]), months)
        starts = np.repeat(np.concatenate([np.full(len(receivers), first_paid), np.full(len(unemployed), NOW - 4)]),
                           months)
        month = starts + np.arange(months.sum()) - np.repeat(np.cumsum(months) - months, months)
        benefit = np.repeat(np.concatenate([np.zeros(len(receivers), np.int8), np.ones(len(unemployed), np.int8)]),
                            months)
        return "benefit_payments", pa.table({
            "person_id": pa.array(self.person_id[payee]), "province": _take(PROVINCE_CODES, self.work[payee]),
            "benefit": _take(BENEFITS, benefit), "month": pa.array(month.astype(np.int32)),
            "amount_fen": pa.array(np.where(benefit == 0, self.amount[payee], 200_000).astype(np.int64)),
        }, schema=snapshot.SCHEMAS["benefit_payments"]), self.work[payee]

    def _recoveries(self):
        rows = np.concatenate([self.recovering, self.recovered])
        return "recoveries", pa.table({
            "person_id": pa.array(self.person_id[rows]), "amount_fen": pa.array(self.recovery[rows]),
        }, schema=snapshot.SCHEMAS["recoveries"]), self.province[rows]

    def _drawing(self):
        receivers, unemployed = self.role["receivers"], self.ins["unemployed"]
        drawers = np.concatenate([receivers, unemployed])
        return "drawing", pa.table({
            "person_id": pa.array(self.person_id[drawers]), "province": _take(PROVINCE_CODES, self.work[drawers]),
            "benefit": _take(BENEFITS, np.concatenate([np.zeros(len(receivers), np.int8),
                                                       np.ones(len(unemployed), np.int8)])),
            "since_month": pa.array(np.concatenate([self.since[receivers],
                                                    np.full(len(unemployed), NOW - 5)]).astype(np.int32)),
        }, schema=snapshot.SCHEMAS["drawing"]), self.work[drawers]

    def _cards(self):
        holders = np.concatenate([self.role["insured"], self.role["receivers"], self.ins["two_cards"]])
        return "cards", pa.table({
            "person_id": pa.array(self.person_id[holders]), "card_id": pa.array(np.arange(1, len(holders) + 1)),
        }, schema=snapshot.SCHEMAS["cards"]), self.province[holders]

    def _person_links(self):
        """Confirmed links, both ways, between a second number and the insured person it belongs to."""
        first, second = self.person_id[self.linked], self.person_id[self.role["second_numbers"]]
        return "person_links", pa.table({
            "person_id_a": pa.array(np.concatenate([first, second])),
            "person_id_b": pa.array(np.concatenate([second, first])),
        }, schema=snapshot.SCHEMAS["person_links"]), None

    def _deaths(self):
        dead = np.concatenate(list(self.dead.values()))
        dead = dead[~np.isin(dead, self.registry_death)]
        return "ext_deaths", pa.table({
            "id_hash": self.hashes.take(pa.array(dead)), "death_date": _dates(self.death_day[dead]),
            "death_month": pa.array(self.death_month[dead].astype(np.int32)),
            "source": _take(pa.array(DEATH_SOURCES), self.rng.integers(0, len(DEATH_SOURCES), size=len(dead))),
        }, schema=snapshot.SCHEMAS["ext_deaths"]), None

    def _prisoners(self):
        prisoners = np.concatenate([self.rec["prisoner_paid"], self.rec["prisoner_released"],
                                    self.ins["prisoners_insured"]])
        serving = self.to_month[prisoners] < 0
        from_day = np.minimum(_month_days(self.from_month[prisoners], self.rng), TODAY)
        to_day = _month_days(np.where(serving, NOW, self.to_month[prisoners]), self.rng)
        return "ext_prisoners", pa.table({
            "id_hash": self.hashes.take(pa.array(prisoners)), "from_date": _dates(from_day),
            "from_month": pa.array(self.from_month[prisoners].astype(np.int32)), "to_date": _dates(to_day, ~serving),
            "to_month": pa.array(self.to_month[prisoners].astype(np.int32), mask=serving),
        }, schema=snapshot.SCHEMAS["ext_prisoners"]), None

    def _students(self):
        current, expired = self.role["students"], self.role["students_expired"]
        students = np.concatenate([current, expired])
        until = np.concatenate([TODAY + self.rng.integers(1, 4 * 365, size=len(current)),
                                TODAY - self.rng.integers(1, 3 * 365, size=len(expired))])
        return "ext_students", pa.table({"id_hash": self.hashes.take(pa.array(students)), "until": _dates(until)},
                                        schema=snapshot.SCHEMAS["ext_students"]), self.province[students]


def _employers(rng, n, *, weights, streets, counties, truth, employees):
    """Our employers, the enterprise register, the tax records per employee and month, and what we insure per
    employer and month. The truth of the two employer lists is set at once; the tables are built by the function
    returned, given the residents' hashes."""
    registered, unregistered = n["employers"], n["unregistered"]
    gone, future = n["enterprises_deregistered"], n["enterprises_future"]
    total = registered + unregistered + gone + future
    province = rng.choice(len(CODES), size=total, p=weights).astype(np.int64)
    street = (province * COUNTIES + rng.integers(0, COUNTIES, size=total)) * STREETS + rng.integers(0, STREETS, total)
    serial = (np.arange(total, dtype=np.int64) + int(rng.integers(0, 10**9))) * 3_141_592_653 % 10**10  # a bijection
    kind = np.repeat(np.arange(4, dtype=np.int8), [registered, unregistered, gone, future])  # ours, not, gone, future
    truth.counts["employers_unregistered"] = _by_province(province[kind == 1])
    established = TODAY - rng.integers(30, 30 * 365, size=total)
    established[kind == 3] = TODAY + rng.integers(10, 60, size=future)
    firm = rng.integers(0, 64, size=total)
    ours = np.flatnonzero(kind == 0)  # our register holds the registered ones only

    # tax records: employers' staff (slices of the plain insured), the same people each of three months
    taxed = rng.permutation(registered)[:n["tax_employers"]]
    staff = np.minimum(rng.geometric(0.1, size=len(taxed)), 200)
    staff = np.minimum(staff, max(1, (len(employees) - n["zero_wage"]) // max(1, len(taxed))))
    months = np.array(TAX_MONTHS, dtype=np.int64)
    owner = np.repeat(taxed, staff)
    people = employees[:len(owner)]
    zero_owner = rng.choice(taxed, size=n["zero_wage"])  # reported with no wage that month: not employed
    zero_person = employees[len(employees) - n["zero_wage"]:]
    zero_month = rng.choice(months, size=n["zero_wage"])
    tax_owner = np.concatenate([np.tile(owner, len(months)), zero_owner])
    tax_person = np.concatenate([np.tile(people, len(months)), zero_person])
    tax_month = np.concatenate([np.repeat(months, len(owner)), zero_month])
    wage = np.concatenate([rng.integers(300_000, 3_000_000, size=len(owner) * len(months)),
                           np.zeros(n["zero_wage"], np.int64)])

    # what we insure per employer and month: as many as the tax records show, but for the planted pairs
    pair_employer = np.tile(taxed, len(months))
    pair_month = np.repeat(months, len(taxed))
    insured = np.tile(staff, len(months)).astype(np.int64)
    order = rng.permutation(len(pair_employer))
    under = order[:n["under_declared"]]
    missing = order[n["under_declared"]:n["under_declared"] + n["under_declared_missing"]]
    over = order[n["under_declared"] + n["under_declared_missing"]:][:n["over_declared"]]
    insured[under] -= rng.integers(1, insured[under] + 1)
    insured[over] += rng.integers(1, 5, size=len(over))
    keep = np.ones(len(pair_employer), dtype=bool)
    keep[missing] = False
    short = pair_employer[np.concatenate([under, missing])]
    truth.counts["employers_under_declared"] = _by_province(province[ours[short]])

    def tables(hashes: pa.Array) -> Iterator[tuple[str, pa.Table, np.ndarray | None]]:
        uscc = _uscc(serial, province)
        firm_name = _take(pa.array([f"{city}{trade}有限公司" for city in ("华南", "东方", "长江", "北方", "西部", "新兴",
                                                                        "恒信", "安达")
                                    for trade in ("科技", "贸易", "建设", "物流", "餐饮", "制造", "服务", "电子")]), firm)
        employer_id = np.arange(1, registered + 1, dtype=np.int64)
        yield "ext_enterprises", pa.table({
            "uscc": uscc, "name": firm_name, "region": _take(counties, street // STREETS),
            "established": _dates(established),
            "status": _take(pa.array(["active", "deregistered"]), (kind == 2).astype(np.int8)),
        }, schema=snapshot.SCHEMAS["ext_enterprises"]), province
        yield "employers", pa.table({
            "employer_id": pa.array(employer_id), "uscc": uscc.take(pa.array(ours)),
            "name": firm_name.take(pa.array(ours)), "region_code": _take(streets, street[ours]),
            "status": _take(pa.array(["active"]), np.zeros(registered, np.int8)),
        }, schema=snapshot.SCHEMAS["employers"]), province[ours]
        yield "ext_tax_employment", pa.table({
            "uscc": uscc.take(pa.array(ours[tax_owner])), "id_hash": hashes.take(pa.array(tax_person)),
            "month": pa.array(tax_month.astype(np.int32)), "wage_fen": pa.array(wage),
        }, schema=snapshot.SCHEMAS["ext_tax_employment"]), province[ours[tax_owner]]
        yield "employer_months", pa.table({
            "employer_id": pa.array(employer_id[pair_employer[keep]]),
            "month": pa.array(pair_month[keep].astype(np.int32)), "insured": pa.array(insured[keep].astype(np.int32)),
        }, schema=snapshot.SCHEMAS["employer_months"]), province[ours[pair_employer[keep]]]

    return tables


def write_parquet(tables: Iterator[tuple[str, pa.Table, np.ndarray | None]], folder: Path) -> tuple[int, int, float]:
    """One directory per table; a table with each row's province in one file per province (`province-44.parquet`),
    as the provinces' nightly extracts would leave them, the others in one file. Returns (rows, files, seconds
    spent writing)."""
    import time

    rows = files = 0
    writing = 0.0
    for name, table, provinces in tables:
        (folder / name).mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        if provinces is None or table.num_rows == 0:
            pq.write_table(table, folder / name / "part-0.parquet")
            files += 1
        else:
            order = np.argsort(provinces, kind="stable")
            ordered = table.take(pa.array(order))
            bounds = np.searchsorted(provinces[order], np.arange(len(CODES) + 1))
            for index, code in enumerate(CODES):
                if bounds[index + 1] > bounds[index]:
                    pq.write_table(ordered.slice(bounds[index], bounds[index + 1] - bounds[index]),
                                   folder / name / f"province-{code[:2]}.parquet")
                    files += 1
            del ordered
        writing += time.perf_counter() - started
        rows += table.num_rows
        del table
    return rows, files, writing
