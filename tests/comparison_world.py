"""A small world for the comparison's lists with planted truth: every list's members, and near misses beside them.

`planted_world()` returns the snapshot's tables and, for each list, the finding keys it must yield — no more, no
fewer. The near misses (a student, someone dead, a sentence not begun …) each fail exactly one condition of a list.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

import pyarrow as pa

from shebao.comparison import snapshot
from shebao.policy.store import ParameterStore

AS_OF = date(2026, 11, 15)
HERE, ELSEWHERE = "110000", "310000"
STREET, OTHER_STREET, FAR_STREET = "110101001", "110105002", "310101001"
NOW = snapshot.month_index(AS_OF)


def month(year: int, month_: int) -> int:
    return year * 12 + month_ - 1


@dataclass
class World:
    rows: dict[str, list[tuple]] = field(default_factory=lambda: defaultdict(list))
    expected: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    next_id: int = 1

    def person(self, *, born=date(1985, 6, 1), sex="M", residence=STREET, died=None, name=None) -> tuple[int, str]:
        pid, self.next_id = self.next_id, self.next_id + 1
        id_hash = f"h{pid:05d}"
        self.rows["persons"].append((pid, id_hash, name or f"人{pid}", sex, born, snapshot.month_index(born), residence,
                                     residence[:6], died, None if died is None else snapshot.month_index(died)))
        return pid, id_hash

    def resident(self, id_hash: str, *, born=date(1985, 6, 1), sex="M", residence=STREET, status="normal", name="居民"):
        self.rows["ext_population"].append((id_hash, name, sex, born, snapshot.month_index(born), residence[:6],
                                            residence, status))

    def stranger(self, n: int, **kwargs) -> str:
        id_hash = f"x{n:05d}"
        self.resident(id_hash, **kwargs)
        return id_hash

    def insured(self, pid: int, province=HERE, *, start=date(2010, 1, 1), end=None, status="active",
                scheme="employee_pension"):
        self.rows["participations"].append((pid, scheme, "pension", province, province[:2] + "0101", start, end, status))

    def paid_until(self, pid: int, last_month: int, province=HERE, region=STREET):
        self.rows["contributions"].append((pid, province, region, last_month))

    def pension_paid(self, pid: int, months: range, province=HERE, amount=300_000):
        self.rows["benefit_payments"] += [(pid, province, "pension", m, amount) for m in months]

    def drawing(self, pid: int, benefit="pension", since=month(2020, 1), province=HERE):
        self.rows["drawing"].append((pid, province, benefit, since))

    def tables(self, store: ParameterStore) -> dict[str, pa.Table]:
        tables = {name: snapshot._table(name, self.rows.get(name, [])) for name in snapshot.SCHEMAS}
        tables["retirement_ages"] = snapshot.retirement_ages(store=store, as_of=AS_OF)
        return tables


def planted_world() -> World:
    w = World()
    _uninsured(w)
    _interrupted(w)
    _paid_after_death_or_in_prison(w)
    _duplicates(w)
    _employers(w)
    return w


def _uninsured(w: World) -> None:
    w.expected["uninsured"].add(w.stranger(1))  # never insured, of working age, living here
    w.expected["uninsured"].add(w.stranger(2, sex="F", born=date(1972, 3, 1), residence=OTHER_STREET))  # 54: under 55
    pid, h = w.person()  # registered with us once, insured no more
    w.insured(pid, start=date(2010, 1, 1), end=date(2020, 12, 31), status="ended")
    w.resident(h)
    w.expected["uninsured"].add(h)
    w.stranger(3, born=date(2011, 1, 1))  # near miss: not yet 16
    w.stranger(4, born=date(1960, 1, 1))  # past 60 and its first delay months: retired age
    w.stranger(5, residence=FAR_STREET)  # lives in another province
    w.stranger(6, status="deregistered")
    w.rows["ext_students"].append((w.stranger(7), date(2027, 7, 1)))  # a student
    w.rows["ext_deaths"].append((w.stranger(8), date(2026, 1, 3), month(2026, 1), "民政殡葬"))  # dead
    pid, h = w.person(residence=FAR_STREET)  # insured in another province
    w.insured(pid, ELSEWHERE)
    w.resident(h)
    pid, h = w.person()  # drawing a pension already (retired early, say)
    w.drawing(pid)
    w.resident(h)
    first, h = w.person()  # a second number of someone insured under the first
    second, _ = w.person()
    w.insured(second)
    w.rows["person_links"].append((first, second))
    w.resident(h)
    w.expected["duplicates"].add(f"{h}:several_numbers:{second}")  # and the link itself is a duplicate
    insured, _ = w.person()  # a register row under a number we never had, linked to someone insured
    w.insured(insured)
    w.rows["register_links"].append((w.stranger(9), insured))


def _interrupted(w: World) -> None:
    pid, h = w.person(residence=OTHER_STREET)
    w.insured(pid)
    w.paid_until(pid, NOW - 5)  # four months without a contribution before this one
    w.expected["interrupted"].add(h)
    pid, h = w.person()  # left a job long ago: interrupted, and for that reason not also on the uninsured list
    w.insured(pid, start=date(2012, 1, 1), end=date(2025, 12, 31), status="ended")
    w.paid_until(pid, month(2025, 12))
    w.resident(h)
    w.expected["interrupted"].add(h)
    pid, _ = w.person()
    w.insured(pid)
    w.paid_until(pid, NOW - 3)  # near miss: only two months missing
    pid, _ = w.person(died=date(2026, 2, 1))  # stopped because dead
    w.paid_until(pid, month(2026, 1))
    pid, _ = w.person()  # stopped and drawing unemployment benefit
    w.paid_until(pid, NOW - 6)
    w.drawing(pid, "unemployment", since=NOW - 5)
    pid, _ = w.person()  # moved on and pays in another province
    w.paid_until(pid, NOW - 20)
    w.paid_until(pid, NOW - 1, ELSEWHERE, FAR_STREET)


def _paid_after_death_or_in_prison(w: World) -> None:
    pid, h = w.person(born=date(1950, 1, 1))  # civil affairs recorded the death; the pension went on
    w.pension_paid(pid, range(month(2026, 1), month(2026, 11)))
    w.rows["ext_deaths"].append((h, date(2026, 3, 10), month(2026, 3), "民政殡葬"))
    w.expected["deceased_paid"].add(h)
    pid, h = w.person(born=date(1950, 1, 1))  # near miss: paid through the month of death only
    w.pension_paid(pid, range(month(2026, 1), month(2026, 4)))
    w.rows["ext_deaths"].append((h, date(2026, 3, 10), month(2026, 3), "卫健死亡医学证明"))
    pid, h = w.person(born=date(1950, 1, 1), died=date(2026, 5, 2))  # near miss: the overpayment is being recovered
    w.pension_paid(pid, range(month(2026, 1), month(2026, 8)))
    w.rows["recoveries"].append((pid, 2 * 300_000))
    pid, h = w.person(born=date(1950, 1, 1))  # serving a sentence, still paid
    w.pension_paid(pid, range(month(2026, 1), month(2026, 11)))
    w.rows["ext_prisoners"].append((h, date(2026, 2, 1), month(2026, 2), date(2026, 6, 30), month(2026, 6)))
    w.expected["prisoner_paid"].add(h)
    pid, h = w.person(born=date(1950, 1, 1))  # near miss: the sentence has not begun
    w.pension_paid(pid, range(month(2026, 1), month(2026, 11)))
    w.rows["ext_prisoners"].append((h, date(2027, 2, 1), month(2027, 2), None, None))


def _duplicates(w: World) -> None:
    pid, h = w.person()
    w.insured(pid)
    w.insured(pid, ELSEWHERE)
    w.expected["duplicates"].add(f"{h}:two_provinces")
    pid, h = w.person()
    w.insured(pid, start=date(2015, 1, 1))
    w.insured(pid, start=date(2018, 1, 1), scheme="resident_pension")
    w.expected["duplicates"].add(f"{h}:two_pension_participations")
    first, h = w.person()
    second, _ = w.person(name="同一人")
    w.rows["cards"] += [(first, 9001), (second, 9002)]
    w.rows["person_links"] += [(first, second), (second, first)]
    w.expected["duplicates"] |= {f"{h}:two_cards:{second}", f"{h}:several_numbers:{second}"}


def _employers(w: World) -> None:
    def enterprise(uscc, region="110101", established=date(2020, 1, 1), status="active"):
        w.rows["ext_enterprises"].append((uscc, f"企业{uscc[-3:]}", region, established, status))

    enterprise("91110000000000001A")
    w.expected["employers_unregistered"].add("91110000000000001A")
    enterprise("91110000000000002A", status="deregistered")
    enterprise("91310000000000003A", region="310101")
    enterprise("91110000000000004A", established=date(2027, 1, 1))
    enterprise("91110000000000005A")  # registered with us
    w.rows["employers"] += [(5, "91110000000000005A", "企业005", "110101001", "active"),
                            (6, "91110000000000006A", "企业006", "110105002", "active")]
    september, october = month(2026, 9), month(2026, 10)
    for employee in ("a", "b", "c"):
        w.rows["ext_tax_employment"].append(("91110000000000006A", f"t{employee}", september, 800_000))
        w.rows["ext_tax_employment"].append(("91110000000000006A", f"t{employee}", october, 800_000))
    w.rows["ext_tax_employment"].append(("91110000000000006A", "td", october, 0))  # no wage: not employed
    w.rows["employer_months"] += [(6, september, 2), (6, october, 3)]
    w.expected["employers_under_declared"].add(f"91110000000000006A:{september}")
