"""The comparison's lists (全民参保登记), each defined once, as SQL over the snapshot's tables (snapshot.py).

The definitions are written in DuckDB's dialect with named placeholders (`:as_of`; `:within` is the province's codes, '11%', or '%' for the whole country); engine.py fills the placeholders
with literals and, for Spark, translates the statement with sqlglot, so one definition runs on both engines. They use
only what both engines do alike: joins, EXISTS, GROUP BY, UNION ALL, CASE, SUBSTRING and integer arithmetic. Dates are
compared, never computed on: months are integer indexes (year * 12 + month - 1) the snapshot prepares, and age
limits arrive as cut-off dates and a lookup table of statutory retirement ages.

Every list yields the same columns (COLUMNS), so lists can be written, compared and printed alike. A row's
`finding_key` names what it is about (a person's keyed hash, an employer's credit code and month …), stable across
runs, so a finding seen again is the same case, never a second one.
"""

from __future__ import annotations

from dataclasses import dataclass

# The columns every list yields, in this order: (name, Arrow type name).
COLUMNS: tuple[tuple[str, str], ...] = (
    ("list_kind", "string"), ("finding_key", "string"), ("region_code", "string"), ("person_id", "int64"),
    ("id_hash", "string"), ("name", "string"), ("uscc", "string"), ("employer_id", "int64"), ("month", "int32"),
    ("amount_fen", "int64"), ("months", "int32"), ("people_reported", "int32"), ("people_insured", "int32"),
    ("reason", "string"),
)


@dataclass(frozen=True)
class ListKind:
    name: str
    zh: str
    en: str
    subject: str  # person | employer: who a case about a row is worked with


LIST_KINDS: dict[str, ListKind] = {kind.name: kind for kind in (
    ListKind("uninsured", "应保未保人员", "should be insured but are not", "person"),
    ListKind("interrupted", "断缴人员", "insured whose contributions stopped", "person"),
    ListKind("deceased_paid", "死亡后仍领取待遇", "paid a benefit after a recorded death", "person"),
    ListKind("prisoner_paid", "服刑期间仍领取待遇", "paid a benefit during a prison sentence", "person"),
    ListKind("duplicates", "重复参保、一人多号", "insured twice, or one person with several numbers", "person"),
    ListKind("employers_unregistered", "未登记参保的单位", "enterprises not registered with social insurance", "employer"),
    ListKind("employers_under_declared", "少报参保人数的单位", "employers insuring fewer people than tax records show",
             "employer"),
)}

# Why a row is on the duplicates list, (Chinese, English).
DUPLICATE_REASONS = {
    "two_provinces": ("同时在两个省份参加养老保险", "in two provinces' pension at once"),
    "two_pension_participations": ("同时有两份养老保险参保关系", "two pension participations at once"),
    "two_cards": ("同一人持有两张有效社保卡", "two valid cards for one person"),
    "several_numbers": ("一人多号（记录比对确认）", "one person with several numbers (linkage confirmed)"),
}

_SELECT = """'{kind}' AS list_kind, {finding_key} AS finding_key, {region_code} AS region_code,
    CAST({person_id} AS BIGINT) AS person_id, CAST({id_hash} AS VARCHAR) AS id_hash, CAST({name} AS VARCHAR) AS name,
    CAST({uscc} AS VARCHAR) AS uscc, CAST({employer_id} AS BIGINT) AS employer_id, CAST({month} AS INTEGER) AS month,
    CAST({amount_fen} AS BIGINT) AS amount_fen, CAST({months} AS INTEGER) AS months,
    CAST({people_reported} AS INTEGER) AS people_reported, CAST({people_insured} AS INTEGER) AS people_insured,
    CAST({reason} AS VARCHAR) AS reason"""


def _select(kind: str, **columns: str) -> str:
    defaults = {"person_id": "NULL", "id_hash": "NULL", "name": "NULL", "uscc": "NULL", "employer_id": "NULL",
                "month": "NULL", "amount_fen": "0", "months": "0", "people_reported": "0", "people_insured": "0",
                "reason": "''"}
    return "SELECT " + _SELECT.format(kind=kind, **(defaults | columns))


# Someone who ever paid and stopped is on the interrupted list (of the province they last paid in), never also on
# the uninsured one: one person, one list, one case.
# Shared building blocks: who is dead (our record or any department's) as of the date, and who is in a pension
# scheme (employee or residents') anywhere in the country on the date.
_COMMON = """
dead AS (
    SELECT id_hash, MIN(death_month) AS death_month, MIN(source) AS source FROM (
        SELECT id_hash, death_month, source FROM ext_deaths WHERE death_date <= :as_of
        UNION ALL
        SELECT id_hash, death_month, 'registry' AS source FROM persons WHERE death_date IS NOT NULL AND death_date <= :as_of
    ) AS any_death GROUP BY id_hash
),
in_pension AS (
    SELECT person_id, province, COUNT(*) AS participations FROM participations
    WHERE exclusion_group = 'pension' AND start_date <= :as_of AND (end_date IS NULL OR end_date >= :as_of)
      AND status <> 'ended'
    GROUP BY person_id, province
),
drawing_now AS (
    SELECT DISTINCT person_id, benefit FROM drawing WHERE since_month <= :as_of_month
),
paid AS (
    SELECT person_id, province, month, amount_fen FROM benefit_payments WHERE month <= :as_of_month
)
"""

UNINSURED = f"""WITH {_COMMON}
{_select("uninsured", finding_key="p.id_hash", region_code="p.residence_region", person_id="ip.person_id",
         id_hash="p.id_hash", name="p.name")}
FROM ext_population AS p
JOIN retirement_ages AS r ON r.sex = p.sex AND r.birth_month = p.birth_month
LEFT JOIN persons AS ip ON ip.id_hash = p.id_hash
WHERE p.status = 'normal' AND p.residence_region LIKE :within
  AND p.birth_date <= :adult_born_by AND p.birth_month + r.age_months > :as_of_month
  AND NOT EXISTS (SELECT 1 FROM dead AS d WHERE d.id_hash = p.id_hash)
  AND NOT EXISTS (SELECT 1 FROM in_pension AS i WHERE i.person_id = ip.person_id)
  AND NOT EXISTS (SELECT 1 FROM person_links AS l JOIN in_pension AS i ON i.person_id = l.person_id_b
                  WHERE l.person_id_a = ip.person_id)
  AND NOT EXISTS (SELECT 1 FROM register_links AS g JOIN in_pension AS i ON i.person_id = g.person_id
                  WHERE g.id_hash = p.id_hash)
  AND NOT EXISTS (SELECT 1 FROM ext_students AS s WHERE s.id_hash = p.id_hash AND s.until >= :as_of)
  AND NOT EXISTS (SELECT 1 FROM drawing_now AS w WHERE w.person_id = ip.person_id AND w.benefit = 'pension')
  AND NOT EXISTS (SELECT 1 FROM contributions AS c WHERE c.person_id = ip.person_id)
"""

INTERRUPTED = f"""WITH {_COMMON},
last_paid AS (
    SELECT person_id, MAX(last_month) AS last_month FROM contributions WHERE last_month <= :as_of_month
    GROUP BY person_id
),
last_place AS (
    SELECT c.person_id, MIN(c.region_code) AS region_code FROM contributions AS c
    JOIN last_paid AS l ON l.person_id = c.person_id AND l.last_month = c.last_month
    WHERE c.province LIKE :within GROUP BY c.person_id
)
{_select("interrupted", finding_key="ip.id_hash",
         region_code="CASE WHEN ip.residence_region LIKE :within THEN ip.residence_region "
                     "ELSE lp.region_code END",
         person_id="ip.person_id", id_hash="ip.id_hash", name="ip.name", month="l.last_month",
         months=":as_of_month - l.last_month - 1")}
FROM last_paid AS l
JOIN last_place AS lp ON lp.person_id = l.person_id
JOIN persons AS ip ON ip.person_id = l.person_id
WHERE l.last_month <= :interrupted_by_month
  AND NOT EXISTS (SELECT 1 FROM dead AS d WHERE d.id_hash = ip.id_hash)
  AND NOT EXISTS (SELECT 1 FROM drawing_now AS w WHERE w.person_id = ip.person_id)
"""

# Less what is already being recovered: an overpayment with a receivable posted is the agency's known work.
DECEASED_PAID = f"""WITH {_COMMON},
paid_after AS (
    SELECT ip.person_id, ip.id_hash, MIN(ip.residence_region) AS region_code, MIN(ip.name) AS name,
           MIN(d.death_month) AS death_month, MIN(d.source) AS source, SUM(x.amount_fen) AS amount_fen,
           COUNT(DISTINCT x.month) AS months
    FROM paid AS x
    JOIN persons AS ip ON ip.person_id = x.person_id
    JOIN dead AS d ON d.id_hash = ip.id_hash
    WHERE x.province LIKE :within AND x.month > d.death_month
    GROUP BY ip.person_id, ip.id_hash
)
{_select("deceased_paid", finding_key="a.id_hash", region_code="a.region_code", person_id="a.person_id",
         id_hash="a.id_hash", name="a.name", month="a.death_month",
         amount_fen="a.amount_fen - COALESCE(r.amount_fen, 0)", months="a.months", reason="a.source")}
FROM paid_after AS a
LEFT JOIN recoveries AS r ON r.person_id = a.person_id
WHERE a.amount_fen > COALESCE(r.amount_fen, 0)
"""

PRISONER_PAID = f"""WITH {_COMMON},
sentenced_months AS (
    SELECT DISTINCT ip.person_id, x.month, x.amount_fen, x.province FROM paid AS x
    JOIN persons AS ip ON ip.person_id = x.person_id
    JOIN ext_prisoners AS s ON s.id_hash = ip.id_hash
    WHERE x.month > s.from_month AND x.month <= COALESCE(s.to_month, :as_of_month) AND s.from_date <= :as_of
)
{_select("prisoner_paid", finding_key="ip.id_hash", region_code="MIN(ip.residence_region)", person_id="ip.person_id",
         id_hash="ip.id_hash", name="MIN(ip.name)", month="MIN(m.month)", amount_fen="SUM(m.amount_fen)",
         months="COUNT(DISTINCT m.month)")}
FROM sentenced_months AS m
JOIN persons AS ip ON ip.person_id = m.person_id
WHERE m.province LIKE :within
GROUP BY ip.person_id, ip.id_hash
"""

DUPLICATES = f"""WITH {_COMMON},
pension_places AS (
    SELECT person_id, COUNT(*) AS provinces, SUM(participations) AS participations,
           MAX(CASE WHEN province LIKE :within THEN 1 ELSE 0 END) AS here
    FROM in_pension GROUP BY person_id
),
valid_cards AS (
    SELECT person_id, COUNT(*) AS cards FROM cards GROUP BY person_id
),
found AS (
    SELECT person_id, 'two_provinces' AS reason, CAST(NULL AS BIGINT) AS other_id FROM pension_places
    WHERE provinces > 1 AND here = 1
    UNION ALL
    SELECT person_id, 'two_pension_participations', NULL FROM pension_places
    WHERE provinces = 1 AND participations > 1 AND here = 1
    UNION ALL
    SELECT person_id, 'two_cards', NULL FROM valid_cards WHERE cards > 1
    UNION ALL
    SELECT l.person_id_a, 'two_cards', l.person_id_b FROM person_links AS l
    JOIN valid_cards AS a ON a.person_id = l.person_id_a JOIN valid_cards AS b ON b.person_id = l.person_id_b
    WHERE l.person_id_a < l.person_id_b
    UNION ALL
    SELECT person_id_a, 'several_numbers', person_id_b FROM person_links WHERE person_id_a < person_id_b
)
{_select("duplicates",
         finding_key="ip.id_hash || ':' || f.reason || COALESCE(':' || CAST(f.other_id AS VARCHAR), '')",
         region_code="ip.residence_region", person_id="ip.person_id", id_hash="ip.id_hash", name="ip.name",
         reason="f.reason")}
FROM found AS f
JOIN persons AS ip ON ip.person_id = f.person_id
WHERE f.reason IN ('two_provinces', 'two_pension_participations')
   OR ip.residence_region LIKE :within
"""

EMPLOYERS_UNREGISTERED = f"""{_select("employers_unregistered", finding_key="e.uscc", region_code="e.region",
                                     uscc="e.uscc", name="e.name")}
FROM ext_enterprises AS e
WHERE e.status = 'active' AND e.established <= :as_of AND e.region LIKE :within
  AND NOT EXISTS (SELECT 1 FROM employers AS r WHERE r.uscc = e.uscc)
"""

EMPLOYERS_UNDER_DECLARED = f"""WITH reported AS (
    SELECT uscc, month, COUNT(DISTINCT id_hash) AS people FROM ext_tax_employment
    WHERE wage_fen > 0 AND month <= :as_of_month GROUP BY uscc, month
)
{_select("employers_under_declared",
         finding_key="t.uscc || ':' || CAST(t.month AS VARCHAR)", region_code="r.region_code", uscc="t.uscc",
         employer_id="r.employer_id", name="r.name", month="t.month", people_reported="t.people",
         people_insured="COALESCE(m.insured, 0)", months="t.people - COALESCE(m.insured, 0)")}
FROM reported AS t
JOIN employers AS r ON r.uscc = t.uscc
LEFT JOIN employer_months AS m ON m.employer_id = r.employer_id AND m.month = t.month
WHERE r.region_code LIKE :within AND t.people > COALESCE(m.insured, 0)
"""

DEFINITIONS: dict[str, str] = {
    "uninsured": UNINSURED, "interrupted": INTERRUPTED, "deceased_paid": DECEASED_PAID,
    "prisoner_paid": PRISONER_PAID, "duplicates": DUPLICATES, "employers_unregistered": EMPLOYERS_UNREGISTERED,
    "employers_under_declared": EMPLOYERS_UNDER_DECLARED,
}
assert DEFINITIONS.keys() == LIST_KINDS.keys()
