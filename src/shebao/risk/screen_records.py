"""The screening queries of the record, employment and staff rules (R05–R13, R17–R19): one set-based statement each,
returning `screen_kit.FINDING_COLUMNS`, the same SQL on SQLite and PostgreSQL (only a list's aggregate is spelled per
dialect). Thresholds come from `ctx.param(path)`; what each query reads and the data it could not find are in
docs/risk.md, "Record and staff rules".

Dates and periods are compared as month numbers (year × 12 + month − 1) taken from their ISO text, which both
databases give the same; a period is turned back into YYYYMM as year × 100 + month.
"""

from __future__ import annotations

import re
from decimal import Decimal

from sqlalchemy import TextClause, text
from sqlalchemy.orm import Session

from shebao.risk.screen_kit import ScreenContext, ScreenQuery


def _month(column: str) -> str:
    """The month number of a date (or timestamp) column."""
    iso = f"CAST({column} AS VARCHAR)"
    return f"(CAST(substr({iso}, 1, 4) AS INTEGER) * 12 + CAST(substr({iso}, 6, 2) AS INTEGER) - 1)"


def _day(column: str) -> str:
    return f"CAST(substr(CAST({column} AS VARCHAR), 9, 2) AS INTEGER)"


def _period_month(column: str) -> str:
    """The month number of a YYYYMM period."""
    return f"(CAST(substr({column}, 1, 4) AS INTEGER) * 12 + CAST(substr({column}, 5, 2) AS INTEGER) - 1)"


def _period_of(month: str) -> str:
    """A month number back as a YYYYMM period."""
    return f"CAST((({month}) / 12) * 100 + (({month}) % 12) + 1 AS VARCHAR)"


def _age_months(birth: str, day: str) -> str:
    """Whole months of age on a day (benefits.rules.age_in_months)."""
    return f"({_month(day)} - {_month(birth)} - CASE WHEN {_day(day)} < {_day(birth)} THEN 1 ELSE 0 END)"


def _text(value: str) -> str:
    return f"CAST({value} AS VARCHAR)"


def _list(session: Session, column: str) -> str:
    """A comma-separated list of a group's values (for a JSON array in the details)."""
    if session.get_bind().dialect.name == "postgresql":
        return f"string_agg(DISTINCT CAST({column} AS VARCHAR), ',')"
    return f"group_concat(DISTINCT {column})"


def _thousandths(value: object) -> int:
    """A ratio or share parameter ("2.0") in thousandths, so that the SQL compares integers only."""
    return int(Decimal(str(value)) * 1000)


def _region(person: str, fallback: str) -> str:
    """The person's region where they live inside the province, else the region of the record that found them."""
    return f"CASE WHEN {person}.residence_region_code LIKE :prefix THEN {person}.residence_region_code ELSE {fallback} END"


def _special_ages(ctx: ScreenContext) -> dict[str, int]:
    """The youngest ages of a special-work retirement, as :special_male and :special_female."""
    return {"special_male": ctx.param("risk.special_work.male_min_age_months"),
            "special_female": ctx.param("risk.special_work.female_min_age_months")}


def _q(sql: str, ctx: ScreenContext, **params: object) -> TextClause:
    """The statement with the values it names bound: the province, its region pattern and the rule's parameters."""
    values = {"province": ctx.province, "prefix": ctx.region_prefix, **params}
    return text(sql).bindparams(**{name: value for name, value in values.items()
                                   if re.search(rf":{name}\b", sql)})


_RETIRING = """retiring AS (
    SELECT ra.id AS application_id, ra.person_id, ra.region_code, ra.category, ra.ground, ra.retire_date,
           ra.special_work_kind, ra.special_work_months, {retire_month} AS retire_month
    FROM retirement_applications AS ra WHERE ra.province = :province
)""".format(retire_month=_month("ra.retire_date"))

# Every record of one person: the person's own and those linked to it as one person with several numbers
# (comparison.person_links), the first registered first: "以本人档案最先记载的出生时间为准".
_FIRST_RECORD = """records AS (
    SELECT r.person_id, o.id AS record_id, o.birth_date, o.sex, o.created_at
    FROM retiring AS r JOIN persons AS o ON o.id = r.person_id
    UNION ALL
    SELECT r.person_id, o.id, o.birth_date, o.sex, o.created_at
    FROM retiring AS r JOIN person_links AS l ON l.person_id_a = r.person_id JOIN persons AS o ON o.id = l.person_id_b
    UNION ALL
    SELECT r.person_id, o.id, o.birth_date, o.sex, o.created_at
    FROM retiring AS r JOIN person_links AS l ON l.person_id_b = r.person_id JOIN persons AS o ON o.id = l.person_id_a
),
first_record AS (
    SELECT person_id, birth_date, sex FROM (
        SELECT person_id, birth_date, sex,
               ROW_NUMBER() OVER (PARTITION BY person_id ORDER BY created_at, record_id) AS position
        FROM records
    ) AS ordered WHERE position = 1
)"""

# The pension paid on an application's award (for months before a limit, when given).
_PAID = """COALESCE((SELECT SUM(pl.amount_fen) FROM pension_awards AS pa
    JOIN payroll_lines AS pl ON pl.award_id = pa.id AND pl.status = 'paid'
    WHERE pa.application_id = {application}{before}), 0)"""


def _identity_changed_before_retirement(session: Session, ctx: ScreenContext) -> TextClause:
    """R05: a retiring person whose birth date or sex differs from the first record of them (another number linked as
    the same person, registered earlier) in the direction that retires them sooner, the newer record made within the
    window before retirement; or a change of birth date, sex or ID number the audit log records in that window."""
    sql = f"""WITH {_RETIRING},
linked AS (
    SELECT r.person_id, COUNT(*) AS records, MIN(o.birth_date) AS first_birth_date
    FROM retiring AS r
    JOIN persons AS me ON me.id = r.person_id
    JOIN person_links AS l ON (l.person_id_a = r.person_id OR l.person_id_b = r.person_id) AND l.person_id_b IS NOT NULL
    JOIN persons AS o ON o.id = CASE WHEN l.person_id_a = r.person_id THEN l.person_id_b ELSE l.person_id_a END
    WHERE o.created_at < me.created_at
      AND (me.birth_date < o.birth_date OR (o.sex = 'M' AND me.sex = 'F'))
      AND r.retire_month - {_month("me.created_at")} BETWEEN 0 AND :window
    GROUP BY r.person_id
),
audited AS (
    SELECT r.person_id, COUNT(*) AS changes FROM retiring AS r
    JOIN audit_records AS ar ON ar.subject = 'person:' || {_text("r.person_id")} AND ar.action = 'person.changed'
    WHERE (ar.detail LIKE '%"birth_date"%' OR ar.detail LIKE '%"sex"%' OR ar.detail LIKE '%"id_number"%')
      AND r.retire_month - {_month("ar.at")} BETWEEN 0 AND :window
    GROUP BY r.person_id
)
SELECT 'p:' || {_text("r.person_id")} AS finding_key, {_region("p", "r.region_code")} AS region_code,
       r.person_id AS person_id, NULL AS employer_id, NULL AS staff_actor, 0 AS amount_fen,
       NULL AS period_from, {_period_of("r.retire_month")} AS period_to,
       '{{"retire_date":"' || {_text("r.retire_date")} || '","birth_date":"' || {_text("p.birth_date")}
       || '","first_birth_date":' || COALESCE('"' || {_text("lk.first_birth_date")} || '"', 'null')
       || ',"linked_records":' || {_text("COALESCE(lk.records, 0)")}
       || ',"audited_changes":' || {_text("COALESCE(au.changes, 0)")} || '}}' AS details
FROM retiring AS r
JOIN persons AS p ON p.id = r.person_id
LEFT JOIN linked AS lk ON lk.person_id = r.person_id
LEFT JOIN audited AS au ON au.person_id = r.person_id
WHERE lk.person_id IS NOT NULL OR au.person_id IS NOT NULL"""
    return _q(sql, ctx, window=ctx.param("risk.identity_change.window_months"))


def _retired_below_statutory_age(session: Session, ctx: ScreenContext) -> TextClause:
    """R06: the age at retirement, from the first recorded birth date, below the youngest the ground allows: the
    original statutory age of the first record's sex and the application's category (voluntary early retirement
    never goes below it), or on the special-work ground 55 for a man and 45 for a woman. The money at stake is the
    pension paid for months before that age."""
    age = _age_months("f.birth_date", "r.retire_date")
    youngest = ("CASE WHEN r.ground = 'special_work' THEN CASE WHEN f.sex = 'M' THEN :special_male ELSE :special_female END "
                "WHEN f.sex = 'M' THEN :male WHEN r.category = 'female_cadre' THEN :female_cadre ELSE :female_worker END")
    paid = _PAID.format(application="m.application_id",
                        before=f" AND {_period_month('pl.for_period')} < {_month('m.birth_date')} + m.youngest")
    sql = f"""WITH {_RETIRING}, {_FIRST_RECORD},
measured AS (
    SELECT r.application_id, r.person_id, r.region_code, r.retire_date, r.retire_month, r.ground, f.birth_date,
           {age} AS age_months, {youngest} AS youngest
    FROM retiring AS r JOIN first_record AS f ON f.person_id = r.person_id
)
SELECT 'p:' || {_text("m.person_id")} AS finding_key, {_region("p", "m.region_code")} AS region_code,
       m.person_id AS person_id, NULL AS employer_id, NULL AS staff_actor, CAST({paid} AS BIGINT) AS amount_fen,
       {_period_of("m.retire_month")} AS period_from, NULL AS period_to,
       '{{"retire_date":"' || {_text("m.retire_date")} || '","first_birth_date":"' || {_text("m.birth_date")}
       || '","ground":"' || m.ground || '","age_months":' || {_text("m.age_months")}
       || ',"youngest_allowed_months":' || {_text("m.youngest")} || '}}' AS details
FROM measured AS m JOIN persons AS p ON p.id = m.person_id
WHERE m.age_months < m.youngest"""
    return _q(sql, ctx, male=ctx.param("retirement.male.original_age_months"),
              female_cadre=ctx.param("retirement.female_cadre.original_age_months"),
              female_worker=ctx.param("retirement.female_worker.original_age_months"), **_special_ages(ctx))


def _special_work_without_years(session: Session, ctx: ScreenContext) -> TextClause:
    """R07: a retirement on the special-work ground whose recorded months of that kind of work fall short of the
    kind's years (or were not recorded), or below the special-work age for the person's sex. At stake: the pension
    paid so far."""
    required = ("CASE r.special_work_kind WHEN 'high_altitude_heavy' THEN :high_altitude_heavy "
                "WHEN 'underground_high_temperature' THEN :underground_high_temperature ELSE :other_harmful END")
    youngest = "CASE WHEN p.sex = 'M' THEN :special_male ELSE :special_female END"
    paid = _PAID.format(application="r.application_id", before="")
    sql = f"""WITH {_RETIRING}
SELECT 'p:' || {_text("r.person_id")} AS finding_key, {_region("p", "r.region_code")} AS region_code,
       r.person_id AS person_id, NULL AS employer_id, NULL AS staff_actor, CAST({paid} AS BIGINT) AS amount_fen,
       {_period_of("r.retire_month")} AS period_from, NULL AS period_to,
       '{{"retire_date":"' || {_text("r.retire_date")} || '","special_work_kind":'
       || COALESCE('"' || r.special_work_kind || '"', 'null') || ',"special_work_months":'
       || COALESCE({_text("r.special_work_months")}, 'null') || ',"required_months":' || {_text(required)}
       || ',"age_months":' || {_text(_age_months("p.birth_date", "r.retire_date"))}
       || ',"youngest_allowed_months":' || {_text(youngest)} || '}}' AS details
FROM retiring AS r JOIN persons AS p ON p.id = r.person_id
WHERE r.ground = 'special_work'
  AND (r.special_work_kind IS NULL OR COALESCE(r.special_work_months, 0) < {required}
       OR {_age_months("p.birth_date", "r.retire_date")} < {youngest})"""
    return _q(sql, ctx, high_altitude_heavy=ctx.param("risk.special_work.high_altitude_heavy_months"),
              underground_high_temperature=ctx.param("risk.special_work.underground_high_temperature_months"),
              other_harmful=ctx.param("risk.special_work.other_harmful_months"), **_special_ages(ctx))


def _base_jump_before_retirement(session: Session, ctx: ScreenContext) -> TextClause:
    """R08: the mean base of the current assessments in the window months before retirement above `ratio` times the
    mean over the reference months before the window (both must hold assessments)."""
    month = _period_month("a.period")
    sql = f"""WITH {_RETIRING},
bases AS (
    SELECT r.person_id, r.region_code, r.retire_month,
           SUM(CASE WHEN {month} >= r.retire_month - :window THEN a.used_base_fen ELSE 0 END) AS window_sum,
           SUM(CASE WHEN {month} >= r.retire_month - :window THEN 1 ELSE 0 END) AS window_months,
           SUM(CASE WHEN {month} < r.retire_month - :window THEN a.used_base_fen ELSE 0 END) AS reference_sum,
           SUM(CASE WHEN {month} < r.retire_month - :window THEN 1 ELSE 0 END) AS reference_months
    FROM retiring AS r JOIN assessments AS a ON a.person_id = r.person_id AND a.superseded_by IS NULL
                                         AND a.total_fen > 0  -- a month corrected to nothing is no month
    WHERE {month} BETWEEN r.retire_month - :window - :reference AND r.retire_month - 1
    GROUP BY r.person_id, r.region_code, r.retire_month
)
SELECT 'p:' || {_text("b.person_id")} AS finding_key, {_region("p", "b.region_code")} AS region_code,
       b.person_id AS person_id, NULL AS employer_id, NULL AS staff_actor, 0 AS amount_fen,
       {_period_of("b.retire_month - :window - :reference")} AS period_from,
       {_period_of("b.retire_month - 1")} AS period_to,
       '{{"window_base_sum_fen":' || {_text("b.window_sum")} || ',"window_months":' || {_text("b.window_months")}
       || ',"reference_base_sum_fen":' || {_text("b.reference_sum")}
       || ',"reference_months":' || {_text("b.reference_months")} || ',"ratio_thousandths":' || {_text(":ratio")}
       || '}}' AS details
FROM bases AS b JOIN persons AS p ON p.id = b.person_id
WHERE b.window_months > 0 AND b.reference_months > 0
  AND b.window_sum * b.reference_months * 1000 > :ratio * b.reference_sum * b.window_months"""
    return _q(sql, ctx, window=ctx.param("risk.base_jump.window_months"),
              reference=ctx.param("risk.base_jump.reference_months"),
              ratio=_thousandths(ctx.param("risk.base_jump.ratio")))


def _makeup_before_retirement(session: Session, ctx: ScreenContext) -> TextClause:
    """R09: make-up bills (contributions.makeup: kind "makeup", reference "p<person id>") made within the window
    before retirement, covering `months_covered` months or more or adding up to `amount_fen` or more."""
    sql = f"""WITH {_RETIRING},
made_up AS (
    SELECT r.person_id, r.region_code, r.retire_month, COUNT(DISTINCT b.period) AS months,
           SUM(b.amount_fen) AS amount_fen, MIN(b.period) AS first_period, MAX(b.period) AS last_period
    FROM retiring AS r
    JOIN bills AS b ON b.kind = 'makeup' AND b.reference = 'p' || {_text("r.person_id")}
    WHERE r.retire_month - {_month("b.created_at")} BETWEEN 0 AND :window
    GROUP BY r.person_id, r.region_code, r.retire_month
)
SELECT 'p:' || {_text("m.person_id")} AS finding_key, {_region("p", "m.region_code")} AS region_code,
       m.person_id AS person_id, NULL AS employer_id, NULL AS staff_actor, CAST(m.amount_fen AS BIGINT) AS amount_fen,
       m.first_period AS period_from, m.last_period AS period_to,
       '{{"months_made_up":' || {_text("m.months")} || ',"amount_fen":' || {_text("m.amount_fen")}
       || ',"retire_period":"' || {_period_of("m.retire_month")} || '"}}' AS details
FROM made_up AS m JOIN persons AS p ON p.id = m.person_id
WHERE m.months >= :months_covered OR m.amount_fen >= :amount"""
    return _q(sql, ctx, window=ctx.param("risk.makeup.window_months"),
              months_covered=ctx.param("risk.makeup.months_covered"), amount=ctx.param("risk.makeup.amount_fen"))


def _contributions_under_16(session: Session, ctx: ScreenContext) -> TextClause:
    """R10: current assessments for months before the person's 16th birthday month, and archive or deemed years
    wholly before it (the altered file's "worked from the age of one")."""
    sql = f"""WITH young AS (
    SELECT a.person_id, a.period, a.region_code, a.total_fen AS amount_fen
    FROM assessments AS a JOIN persons AS p ON p.id = a.person_id
    WHERE a.province = :province AND a.superseded_by IS NULL AND a.total_fen > 0
      AND {_period_month("a.period")} < {_month("p.birth_date")} + 12 * :years
    UNION ALL
    SELECT y.person_id, {_text("y.year * 100 + 1")}, NULL, 0
    FROM contribution_years AS y JOIN persons AS p ON p.id = y.person_id
    WHERE y.province = :province AND y.kind IN ('archive', 'deemed') AND y.months > 0
      AND y.year * 12 + 11 < {_month("p.birth_date")} + 12 * :years
),
found AS (
    SELECT person_id, COUNT(*) AS records, MIN(period) AS first_period, MAX(period) AS last_period,
           SUM(amount_fen) AS amount_fen, MIN(region_code) AS region_code
    FROM young GROUP BY person_id
)
SELECT 'p:' || {_text("f.person_id")} AS finding_key,
       {_region("p", "COALESCE(f.region_code, p.residence_region_code)")} AS region_code,
       f.person_id AS person_id, NULL AS employer_id, NULL AS staff_actor, CAST(f.amount_fen AS BIGINT) AS amount_fen,
       f.first_period AS period_from, f.last_period AS period_to,
       '{{"birth_date":"' || {_text("p.birth_date")} || '","records":' || {_text("f.records")} || '}}' AS details
FROM found AS f JOIN persons AS p ON p.id = f.person_id"""
    return _q(sql, ctx, years=ctx.param("comparison.minimum_age_years"))


def _contributions_past_retirement_age(session: Session, ctx: ScreenContext) -> TextClause:
    """R11: current employee-pension contributions for a month the person's pension already pays (from the award's
    first period), or, with no award, for a month past the latest age anyone may still pay at (the reformed
    statutory age of the sex — a woman's the later, the cadre's — plus the longest voluntary deferral), once the
    person has the minimum contribution months (paid months on the platform and archive or deemed months), so is not
    paying on to reach them."""
    pension = "(a.pension_employer_fen + a.pension_individual_fen)"
    latest = "CASE WHEN p.sex = 'M' THEN :male_target ELSE :female_target END + :deferral"
    sql = f"""WITH paid_months AS (
    SELECT person_id, SUM(months) AS months FROM (
        SELECT a.person_id, COUNT(DISTINCT a.period) AS months FROM assessments AS a
        WHERE a.superseded_by IS NULL AND {pension} > 0 GROUP BY a.person_id
        UNION ALL
        SELECT y.person_id, SUM(y.months) FROM contribution_years AS y
        WHERE y.kind IN ('archive', 'deemed') GROUP BY y.person_id
    ) AS counted GROUP BY person_id
),
past AS (
    SELECT a.person_id, a.period, a.region_code, {pension} AS amount_fen
    FROM assessments AS a
    JOIN persons AS p ON p.id = a.person_id
    LEFT JOIN pension_awards AS pa ON pa.person_id = a.person_id
    LEFT JOIN paid_months AS pm ON pm.person_id = a.person_id
    WHERE a.province = :province AND a.superseded_by IS NULL AND {pension} > 0
      AND ((pa.id IS NOT NULL AND a.period >= pa.first_period)
           OR (pa.id IS NULL AND {_period_month("a.period")} - {_month("p.birth_date")} >= {latest}
               AND COALESCE(pm.months, 0) >= :minimum))
),
found AS (
    SELECT person_id, COUNT(*) AS months, MIN(period) AS first_period, MAX(period) AS last_period,
           SUM(amount_fen) AS amount_fen, MIN(region_code) AS region_code
    FROM past GROUP BY person_id
)
SELECT 'p:' || {_text("f.person_id")} AS finding_key, {_region("p", "f.region_code")} AS region_code,
       f.person_id AS person_id, NULL AS employer_id, NULL AS staff_actor, CAST(f.amount_fen AS BIGINT) AS amount_fen,
       f.first_period AS period_from, f.last_period AS period_to,
       '{{"months":' || {_text("f.months")} || ',"drawing_pension":'
       || CASE WHEN EXISTS (SELECT 1 FROM pension_awards AS w WHERE w.person_id = f.person_id) THEN 'true' ELSE 'false' END
       || ',"birth_date":"' || {_text("p.birth_date")} || '"}}' AS details
FROM found AS f JOIN persons AS p ON p.id = f.person_id"""
    return _q(sql, ctx, male_target=ctx.param("retirement.male.target_age_months"),
              female_target=max(ctx.param("retirement.female_cadre.target_age_months"),
                                ctx.param("retirement.female_worker.target_age_months")),
              deferral=ctx.param("retirement.deferred_retirement_max_months"),
              minimum=ctx.param("pension.minimum_contribution_months"))


def _two_employers_full_bases(session: Session, ctx: ScreenContext) -> TextClause:
    """R12: months in which two or more employers declared the same person at a base at or above the province's
    floor (the declared base: the used one is raised to the floor anyway), `min_overlap_months` or more of them."""
    sql = f"""WITH full_months AS (
    SELECT a.person_id, a.period, MIN(a.region_code) AS region_code, COUNT(DISTINCT a.payer_id) AS employers
    FROM assessments AS a
    WHERE a.province = :province AND a.superseded_by IS NULL AND a.payer_kind = 'employer'
      AND a.declared_base_fen >= :floor
    GROUP BY a.person_id, a.period
),
found AS (
    SELECT person_id, COUNT(*) AS months, MIN(period) AS first_period, MAX(period) AS last_period,
           MIN(region_code) AS region_code
    FROM full_months WHERE employers >= 2 GROUP BY person_id
),
employers_of AS (
    SELECT f.person_id, {_list(session, "a.payer_id")} AS employer_ids
    FROM found AS f JOIN assessments AS a ON a.person_id = f.person_id AND a.province = :province
         AND a.superseded_by IS NULL AND a.payer_kind = 'employer' AND a.declared_base_fen >= :floor
         AND a.period BETWEEN f.first_period AND f.last_period
    GROUP BY f.person_id
)
SELECT 'p:' || {_text("f.person_id")} AS finding_key, {_region("p", "f.region_code")} AS region_code,
       f.person_id AS person_id, NULL AS employer_id, NULL AS staff_actor, 0 AS amount_fen,
       f.first_period AS period_from, f.last_period AS period_to,
       '{{"overlap_months":' || {_text("f.months")} || ',"employer_ids":[' || e.employer_ids || ']}}' AS details
FROM found AS f JOIN persons AS p ON p.id = f.person_id JOIN employers_of AS e ON e.person_id = f.person_id
WHERE f.months >= :min_overlap"""
    return _q(sql, ctx, floor=ctx.param("contribution.base.floor_fen"),
              min_overlap=ctx.param("risk.two_employers.min_overlap_months"))


def _fictitious_employment(session: Session, ctx: ScreenContext) -> TextClause:
    """R13: over the last `min_months` months of the tax wage records received (they arrive late: the window ends at
    their latest month up to the screening's), an employer's declared employees that no employer pays a wage to, at
    least `min_employees` of them and `absent_share` of all it declared. At stake: the pension contributions declared
    for the absent ones in the window (the years a job on paper buys)."""
    month = _period_month("a.period")
    sql = f"""WITH latest AS (
    SELECT MAX(period) AS period FROM ext_tax_employment WHERE period <= :as_of_period
),
span AS (
    SELECT {_period_month("l.period")} - :months + 1 AS first_month, {_period_month("l.period")} AS last_month
    FROM latest AS l WHERE l.period IS NOT NULL
),
declared AS (
    SELECT a.payer_id AS employer_id, a.person_id,
           SUM(a.pension_employer_fen + a.pension_individual_fen) AS pension_fen,
           MIN(a.period) AS first_period, MAX(a.period) AS last_period
    FROM assessments AS a CROSS JOIN span AS s
    WHERE a.province = :province AND a.superseded_by IS NULL AND a.payer_kind = 'employer' AND a.total_fen > 0
      AND {month} BETWEEN s.first_month AND s.last_month
    GROUP BY a.payer_id, a.person_id
),
judged AS (
    SELECT d.employer_id, COUNT(*) AS declared,
           SUM(CASE WHEN t.id_hash IS NULL THEN 1 ELSE 0 END) AS absent,
           SUM(CASE WHEN t.id_hash IS NULL THEN d.pension_fen ELSE 0 END) AS absent_fen,
           MIN(d.first_period) AS first_period, MAX(d.last_period) AS last_period
    FROM declared AS d
    JOIN persons AS p ON p.id = d.person_id
    LEFT JOIN (SELECT DISTINCT x.id_hash FROM ext_tax_employment AS x CROSS JOIN span AS s
               WHERE x.wage_fen > 0 AND {_period_month("x.period")} BETWEEN s.first_month AND s.last_month) AS t
           ON t.id_hash = p.id_number_hash
    GROUP BY d.employer_id
)
SELECT 'e:' || {_text("j.employer_id")} AS finding_key, e.region_code AS region_code, NULL AS person_id,
       j.employer_id AS employer_id, NULL AS staff_actor, CAST(j.absent_fen AS BIGINT) AS amount_fen,
       j.first_period AS period_from, j.last_period AS period_to,
       '{{"declared":' || {_text("j.declared")} || ',"absent":' || {_text("j.absent")} || ',"uscc":"' || e.uscc
       || '"}}' AS details
FROM judged AS j JOIN employers AS e ON e.id = j.employer_id
WHERE e.region_code LIKE :prefix AND j.absent >= :min_employees AND j.absent * 1000 >= :share * j.declared"""
    return _q(sql, ctx, as_of_period=ctx.as_of_period, months=ctx.param("risk.fictitious_employment.min_months"),
              min_employees=ctx.param("risk.fictitious_employment.min_employees"),
              share=_thousandths(ctx.param("risk.fictitious_employment.absent_share")))


def _shared_phone_or_address(session: Session, ctx: ScreenContext) -> TextClause:
    """R17: one phone number (its keyed hash, persons.phone_hash) given by `shared_phone.min_claimants` or more
    claimants — people with a pension award, a retirement application or an unemployment claim in the province. The
    register holds no residential address (only regions), so the address half waits for one (docs/risk.md)."""
    sql = f"""WITH claimants AS (
    SELECT person_id FROM pension_awards WHERE province = :province
    UNION SELECT person_id FROM retirement_applications WHERE province = :province
    UNION SELECT person_id FROM unemployment_claims WHERE province = :province
),
shared AS (
    SELECT p.phone_hash, COUNT(*) AS claimants, MIN(p.residence_region_code) AS region_code,
           {_list(session, "p.id")} AS person_ids
    FROM claimants AS c JOIN persons AS p ON p.id = c.person_id
    WHERE p.phone_hash IS NOT NULL
    GROUP BY p.phone_hash
)
SELECT 'phone:' || s.phone_hash AS finding_key, s.region_code AS region_code, NULL AS person_id,
       NULL AS employer_id, NULL AS staff_actor, 0 AS amount_fen, NULL AS period_from, NULL AS period_to,
       '{{"shared":"phone","claimants":' || {_text("s.claimants")} || ',"person_ids":[' || s.person_ids || ']}}'
       AS details
FROM shared AS s WHERE s.claimants >= :min_claimants"""
    return _q(sql, ctx, min_claimants=ctx.param("risk.shared_phone.min_claimants"))


def _staff_own_or_family_record(session: Session, ctx: ScreenContext) -> TextClause:
    """R18: a staff member (users with role staff and their own person) whose audited acts — anything but a view or
    a search — concern their own person or a person of the same household number (persons.household_number), on the
    person directly ("person:<id>") or on one of the person's participations."""
    sql = f"""WITH staff AS (
    SELECT 'staff:' || u.username AS actor, u.region_code, u.person_id FROM users AS u
    WHERE u.role = 'staff' AND u.person_id IS NOT NULL AND u.region_code LIKE :prefix
),
kin AS (
    SELECT s.actor, s.region_code, f.id AS person_id,
           CASE WHEN f.id = s.person_id THEN 'own' ELSE 'family' END AS relation
    FROM staff AS s JOIN persons AS me ON me.id = s.person_id
    JOIN persons AS f ON f.id = me.id OR (me.household_number IS NOT NULL AND f.household_number = me.household_number)
),
subjects AS (
    SELECT k.actor, k.region_code, k.person_id, k.relation, 'person:' || {_text("k.person_id")} AS subject FROM kin AS k
    UNION ALL
    SELECT k.actor, k.region_code, k.person_id, k.relation, 'participation:' || {_text("pa.id")}
    FROM kin AS k JOIN participations AS pa ON pa.person_id = k.person_id
),
acts AS (
    SELECT s.actor, s.region_code, s.person_id, s.relation, COUNT(*) AS acts, MIN(ar.at) AS first_at,
           MAX(ar.at) AS last_at, MIN(ar.action) AS an_action
    FROM subjects AS s JOIN audit_records AS ar ON ar.actor = s.actor AND ar.subject = s.subject
    WHERE ar.action NOT LIKE '%.viewed' AND ar.action NOT LIKE '%searched'
    GROUP BY s.actor, s.region_code, s.person_id, s.relation
)
SELECT 's:' || a.actor || ':p:' || {_text("a.person_id")} AS finding_key, a.region_code AS region_code,
       a.person_id AS person_id, NULL AS employer_id, a.actor AS staff_actor, 0 AS amount_fen,
       {_period_of(_month("a.first_at"))} AS period_from, {_period_of(_month("a.last_at"))} AS period_to,
       '{{"relation":"' || a.relation || '","acts":' || {_text("a.acts")} || ',"an_action":"' || a.an_action
       || '"}}' AS details
FROM acts AS a"""
    return _q(sql, ctx)


def _staff_approves_own_case(session: Session, ctx: ScreenContext) -> TextClause:
    """R19: one staff member both making and approving the same thing, where a table records both: a payout batch
    (prepared_by, approved_by), a refund (requested_by, decided_by), a held death record (recorded_by, decided_by)
    and a record-linkage pair (found_by, decided_by). The region is the staff member's, else the record's province."""
    sql = f"""WITH both_hands AS (
    SELECT 'payout_batch:' || {_text("id")} AS finding_key, approved_by AS actor, province AS place,
           total_fen AS amount_fen, period, 'payout_batch' AS kind FROM payout_batches
    WHERE approved_by IS NOT NULL AND approved_by = prepared_by AND province = :province
    UNION ALL
    SELECT 'refund:' || {_text("id")}, decided_by, province, amount_fen, NULL, 'refund' FROM refunds
    WHERE decided_by IS NOT NULL AND decided_by = requested_by AND province = :province
    UNION ALL
    SELECT 'death_review:' || {_text("d.id")}, d.decided_by, p.residence_region_code, 0, NULL, 'death_review'
    FROM death_reviews AS d JOIN persons AS p ON p.id = d.person_id
    WHERE d.decided_by IS NOT NULL AND d.decided_by = d.recorded_by AND p.residence_region_code LIKE :prefix
    UNION ALL
    SELECT 'link_candidate:' || {_text("id")}, decided_by, province, 0, NULL, 'link_candidate' FROM link_candidates
    WHERE decided_by IS NOT NULL AND decided_by = found_by AND province = :province
)
SELECT 's:' || b.actor || ':' || b.finding_key AS finding_key, COALESCE(u.region_code, b.place) AS region_code,
       NULL AS person_id, NULL AS employer_id, b.actor AS staff_actor, CAST(b.amount_fen AS BIGINT) AS amount_fen,
       b.period AS period_from, b.period AS period_to,
       '{{"kind":"' || b.kind || '","record":"' || b.finding_key || '"}}' AS details
FROM both_hands AS b LEFT JOIN users AS u ON 'staff:' || u.username = b.actor
WHERE b.actor LIKE 'staff:%'"""
    return _q(sql, ctx)


SCREENS: dict[str, ScreenQuery] = {
    "R05_identity_changed_before_retirement": _identity_changed_before_retirement,
    "R06_retired_below_statutory_age": _retired_below_statutory_age,
    "R07_special_work_without_years": _special_work_without_years,
    "R08_base_jump_before_retirement": _base_jump_before_retirement,
    "R09_makeup_before_retirement": _makeup_before_retirement,
    "R10_contributions_under_16": _contributions_under_16,
    "R11_contributions_past_retirement_age": _contributions_past_retirement_age,
    "R12_two_employers_full_bases": _two_employers_full_bases,
    "R13_fictitious_employment": _fictitious_employment,
    "R17_shared_phone_or_address": _shared_phone_or_address,
    "R18_staff_own_or_family_record": _staff_own_or_family_record,
    "R19_staff_approves_own_case": _staff_approves_own_case,
}
