"""The after-the-fact rules about money paid out (risk/rules.py R01–R04, R14–R16, R20), each one set-based query over
the operational tables returning `screen_kit.FINDING_COLUMNS` — the same SQL on SQLite and PostgreSQL.

Months are compared as integer indexes (year * 12 + month - 1) computed from the YYYYMM text; dates become months by
their text (`YYYY-MM-DD`), so no dialect's date functions are needed. A finding's region is the person's residence as
stored when it lies in the province, else the province itself (the province's staff work what the province paid).

R16 (one bank account receiving many receivers' benefits) groups by a keyed hash of the account behind each
receiver's card: the account is stored only encrypted with a fresh nonce (`cards.bank_account_enc`), so the screening
first hashes the accounts of the cards changed since the last time (`refresh_account_digests`, with the field key:
`PREPARE`) into risk_account_digests. Without the key the rule is reported not screened.
"""

from __future__ import annotations

import re
from decimal import Decimal

from sqlalchemy import Date, TextClause, bindparam, delete, insert, or_, select, text
from sqlalchemy.orm import Session

from shebao.benefits.models import PensionAward
from shebao.cards.models import Card
from shebao.core.security import FieldCipher
from shebao.risk.models import RiskAccountDigest
from shebao.risk.screen_kit import ScreenContext


def _month(period: str) -> str:
    """The month index of a YYYYMM text column."""
    return f"(CAST(SUBSTR({period}, 1, 4) AS INTEGER) * 12 + CAST(SUBSTR({period}, 5, 2) AS INTEGER) - 1)"


def _date_period(day: str) -> str:
    """YYYYMM text of a DATE column, from its ISO text (the same on both databases)."""
    return f"(SUBSTR(CAST({day} AS VARCHAR(10)), 1, 4) || SUBSTR(CAST({day} AS VARCHAR(10)), 6, 2))"


def _date_month(day: str) -> str:
    """The month index of a DATE column."""
    return _month(_date_period(day))


def _day_of_month(day: str) -> str:
    return f"CAST(SUBSTR(CAST({day} AS VARCHAR(10)), 9, 2) AS INTEGER)"


def _period_of(index: str) -> str:
    """YYYYMM text of a month index (the inverse of `_month`)."""
    return (f"(CAST(({index}) / 12 AS VARCHAR(4)) || SUBSTR(CAST(100 + ({index}) % 12 + 1 AS VARCHAR(3)), 2, 2))")


# The subject's region as stored, kept to the province: a receiver living elsewhere is worked by the province.
_REGION = ("CASE WHEN p.residence_region_code LIKE :prefix THEN p.residence_region_code "
           "ELSE CAST(:province AS VARCHAR(9)) END")

# The employee pension months paid for a person found by a rule: their award (one per person, pension_awards.person_id
# is unique) and its payroll lines paid, for months up to the as-of one — reached through the indexes from the few
# persons a rule starts from, never by scanning the payroll. `{who}` is the person's id column.
_PAID_FOR = """JOIN pension_awards AS a ON a.person_id = {who} AND a.province = :province
    JOIN payroll_lines AS x ON x.award_id = a.id AND x.status = 'paid' AND x.for_period <= :as_of_period"""
_MONTH_X = _month("x.for_period")


def _paid_for(who: str) -> str:
    return _PAID_FOR.format(who=who)


def _bind(query: str, ctx: ScreenContext, **extra: object) -> TextClause:
    values = {"province": ctx.province, "prefix": ctx.region_prefix, "as_of_period": ctx.as_of_period,
              "as_of_month": ctx.as_of.year * 12 + ctx.as_of.month - 1, "as_of": ctx.as_of} | extra
    clause = text(query)
    if re.search(r":as_of\b", query):
        clause = clause.bindparams(bindparam("as_of", type_=Date))
    return clause.bindparams(**{key: value for key, value in values.items() if re.search(rf":{key}\b", query)})


def _paid_after_death(session: Session, ctx: ScreenContext) -> TextClause:  # noqa: ARG001 - the contract's signature
    """R01: months paid from the one the pension stops after a death known from our record or any department's."""
    query = f"""WITH deaths AS (
    SELECT p.id AS person_id, {_date_month("p.death_date")} AS death_month, 'registry' AS source
    FROM persons AS p WHERE p.death_date IS NOT NULL AND p.death_date <= :as_of
    UNION ALL
    SELECT p.id, {_date_month("d.death_date")}, d.source FROM ext_deaths AS d
    JOIN persons AS p ON p.id_number_hash = d.id_hash WHERE d.death_date <= :as_of
),
dead AS (SELECT person_id, MIN(death_month) AS death_month, MIN(source) AS source FROM deaths GROUP BY person_id),
after AS (
    SELECT d.person_id, MIN(d.death_month) AS death_month, MIN(d.source) AS source, MIN({_MONTH_X}) AS first_month,
           MAX({_MONTH_X}) AS last_month, COUNT(DISTINCT x.for_period) AS months, SUM(x.amount_fen) AS amount_fen
    FROM dead AS d {_paid_for("d.person_id")}
    WHERE {_MONTH_X} >= d.death_month + :stops
    GROUP BY d.person_id
)
SELECT 'p:' || CAST(a.person_id AS VARCHAR(20)) AS finding_key, {_REGION} AS region_code, a.person_id AS person_id,
       CAST(NULL AS INTEGER) AS employer_id, CAST(NULL AS VARCHAR(120)) AS staff_actor, a.amount_fen AS amount_fen,
       {_period_of("a.first_month")} AS period_from, {_period_of("a.last_month")} AS period_to,
       '{{"death_month": "' || {_period_of("a.death_month")} || '", "source": "' || REPLACE(a.source, '"', '') ||
       '", "months_paid_after": ' || CAST(a.months AS VARCHAR(10)) || '}}' AS details
FROM after AS a JOIN persons AS p ON p.id = a.person_id"""
    return _bind(query, ctx, stops=int(ctx.param("pension.payment_stops_months_after_death")))


def _paid_during_sentence(session: Session, ctx: ScreenContext) -> TextClause:  # noqa: ARG001
    """R02: months wholly inside a custodial sentence (from its first whole month to the month before release)."""
    query = f"""WITH sentences AS (
    SELECT p.id AS person_id, s.from_date, {_date_month("s.from_date")} AS from_month,
           CASE WHEN {_day_of_month("s.from_date")} = 1 THEN 0 ELSE 1 END AS partial_first,
           CASE WHEN s.to_date IS NULL THEN :as_of_month + 1 ELSE {_date_month("s.to_date")} END AS release_month
    FROM ext_prisoners AS s JOIN persons AS p ON p.id_number_hash = s.id_hash WHERE s.from_date <= :as_of
),
inside AS (
    SELECT s.person_id, s.from_date, MIN({_MONTH_X}) AS first_month, MAX({_MONTH_X}) AS last_month,
           COUNT(DISTINCT x.for_period) AS months, SUM(x.amount_fen) AS amount_fen
    FROM sentences AS s {_paid_for("s.person_id")}
    WHERE {_MONTH_X} >= s.from_month + s.partial_first AND {_MONTH_X} < s.release_month
    GROUP BY s.person_id, s.from_date
)
SELECT 'p:' || CAST(i.person_id AS VARCHAR(20)) || ':' || CAST(i.from_date AS VARCHAR(10)) AS finding_key,
       {_REGION} AS region_code, i.person_id AS person_id, CAST(NULL AS INTEGER) AS employer_id,
       CAST(NULL AS VARCHAR(120)) AS staff_actor, i.amount_fen AS amount_fen,
       {_period_of("i.first_month")} AS period_from, {_period_of("i.last_month")} AS period_to,
       '{{"sentence_from": "' || CAST(i.from_date AS VARCHAR(10)) || '", "months_paid_inside": ' ||
       CAST(i.months AS VARCHAR(10)) || '}}' AS details
FROM inside AS i JOIN persons AS p ON p.id = i.person_id"""
    return _bind(query, ctx)


# One person under several numbers: the comparison's person links (automatic above the threshold, or confirmed by a
# clerk), both ways. One person has one award (pension_awards.person_id is unique), so two provinces can pay one
# person only under two numbers.
_LINKS = """links AS (
    SELECT person_id_a AS person_id, person_id_b AS other_id FROM person_links WHERE person_id_b IS NOT NULL
    UNION ALL SELECT person_id_b, person_id_a FROM person_links WHERE person_id_b IS NOT NULL
)"""


def _paid_by_two_provinces(session: Session, ctx: ScreenContext) -> TextClause:  # noqa: ARG001
    """R03: an employee pension paid by the province for a month another province paid the same person under a
    linked number an employee pension too."""
    query = f"""WITH {_LINKS},
elsewhere AS (
    SELECT l.person_id, b.id AS other_award_id, b.province AS other_province, b.person_id AS other_person_id
    FROM links AS l JOIN pension_awards AS b ON b.person_id = l.other_id AND b.province <> :province
),
both_months AS (
    SELECT e.person_id, x.for_period, {_MONTH_X} AS month, SUM(x.amount_fen) AS amount_fen,
           MIN(e.other_province) AS other_province, MIN(e.other_person_id) AS other_person_id
    FROM elsewhere AS e {_paid_for("e.person_id")}
    WHERE EXISTS (SELECT 1 FROM payroll_lines AS o WHERE o.award_id = e.other_award_id AND o.for_period = x.for_period
                  AND o.status = 'paid')
    GROUP BY e.person_id, x.for_period
),
found AS (
    SELECT person_id, MIN(month) AS first_month, MAX(month) AS last_month, COUNT(*) AS months,
           SUM(amount_fen) AS amount_fen, MIN(other_province) AS other_province, MIN(other_person_id) AS other_person_id
    FROM both_months GROUP BY person_id
)
SELECT 'p:' || CAST(f.person_id AS VARCHAR(20)) AS finding_key, {_REGION} AS region_code, f.person_id AS person_id,
       CAST(NULL AS INTEGER) AS employer_id, CAST(NULL AS VARCHAR(120)) AS staff_actor, f.amount_fen AS amount_fen,
       {_period_of("f.first_month")} AS period_from, {_period_of("f.last_month")} AS period_to,
       '{{"other_province": "' || f.other_province || '", "other_person_id": ' ||
       CAST(f.other_person_id AS VARCHAR(20)) || ', "months_paid_twice": ' || CAST(f.months AS VARCHAR(10)) || '}}'
       AS details
FROM found AS f JOIN persons AS p ON p.id = f.person_id"""
    return _bind(query, ctx)


def _exclusive_schemes_together(session: Session, ctx: ScreenContext) -> TextClause:  # noqa: ARG001
    """R04: an employee pension paid for a month the same person (or a linked number) is in the residents' pension
    scheme. The residents' pension is not paid through this platform: its participation covering the month stands
    for it, so the money at stake (the residents' basic pension to repay) is not known here and is 0."""
    query = f"""WITH resident AS (
    SELECT person_id, province, {_date_month("start_date")} AS first_month,
           CASE WHEN end_date IS NULL THEN :as_of_month ELSE {_date_month("end_date")} END AS last_month
    FROM participations WHERE scheme = 'resident_pension' AND start_date <= :as_of
),
covered AS (
    SELECT person_id, province, first_month, last_month FROM resident
    UNION ALL SELECT l.person_id_b, r.province, r.first_month, r.last_month FROM resident AS r
    JOIN person_links AS l ON l.person_id_a = r.person_id WHERE l.person_id_b IS NOT NULL
    UNION ALL SELECT l.person_id_a, r.province, r.first_month, r.last_month FROM resident AS r
    JOIN person_links AS l ON l.person_id_b = r.person_id
),
both_months AS (
    SELECT c.person_id, {_MONTH_X} AS month, MIN(c.province) AS resident_province
    FROM covered AS c {_paid_for("c.person_id")}
    WHERE {_MONTH_X} BETWEEN c.first_month AND c.last_month
    GROUP BY c.person_id, x.for_period
),
found AS (
    SELECT person_id, MIN(month) AS first_month, MAX(month) AS last_month, COUNT(*) AS months,
           MIN(resident_province) AS resident_province
    FROM both_months GROUP BY person_id
)
SELECT 'p:' || CAST(f.person_id AS VARCHAR(20)) AS finding_key, {_REGION} AS region_code, f.person_id AS person_id,
       CAST(NULL AS INTEGER) AS employer_id, CAST(NULL AS VARCHAR(120)) AS staff_actor, 0 AS amount_fen,
       {_period_of("f.first_month")} AS period_from, {_period_of("f.last_month")} AS period_to,
       '{{"resident_scheme_province": "' || f.resident_province || '", "months_both": ' ||
       CAST(f.months AS VARCHAR(10)) || '}}' AS details
FROM found AS f JOIN persons AS p ON p.id = f.person_id"""
    return _bind(query, ctx)


# The province's unemployment benefit paid, month by month, up to the as-of month.
_UNEMPLOYMENT = """benefit AS (
    SELECT u.claim_id, u.person_id, u.period, {month} AS month, u.benefit_fen
    FROM unemployment_payments AS u WHERE u.province = :province AND u.period <= :as_of_period
)""".format(month=_month("u.period"))


def _benefit_findings(found: str, details: str) -> str:
    return f"""SELECT 'p:' || CAST(f.person_id AS VARCHAR(20)) || ':' || 'c' || CAST(f.claim_id AS VARCHAR(20)) AS finding_key,
       {_REGION} AS region_code, f.person_id AS person_id, CAST(NULL AS INTEGER) AS employer_id,
       CAST(NULL AS VARCHAR(120)) AS staff_actor, f.amount_fen AS amount_fen,
       {_period_of("f.first_month")} AS period_from, {_period_of("f.last_month")} AS period_to, {details} AS details
FROM ({found}) AS f JOIN persons AS p ON p.id = f.person_id"""


def _unemployment_while_employed(session: Session, ctx: ScreenContext) -> TextClause:  # noqa: ARG001
    """R14: unemployment benefit for a month after the separation in which an employer declares the person or the
    tax records show a wage, from the first such month plus the grace months on. Starts from the province's claims
    and reaches declarations and wages by the person (assessments by person and month, tax rows by keyed hash)."""
    found = """SELECT b.claim_id, MIN(b.person_id) AS person_id, MIN(b.month) AS first_month, MAX(b.month) AS last_month,
           COUNT(*) AS months, SUM(b.benefit_fen) AS amount_fen, MIN(w.first_work) AS first_work
    FROM benefit AS b JOIN first_work AS w ON w.claim_id = b.claim_id
    WHERE b.month >= w.first_work + :grace
      AND EXISTS (SELECT 1 FROM work AS k WHERE k.claim_id = b.claim_id AND k.month = b.month)
    GROUP BY b.claim_id"""
    details = ("'{\"first_month_employed\": \"' || " + _period_of("f.first_work")
               + " || '\", \"months_paid_while_employed\": ' || CAST(f.months AS VARCHAR(10)) || '}'")
    query = f"""WITH claims AS (
    SELECT c.id AS claim_id, c.person_id, {_date_period("c.separation_date")} AS separation_period
    FROM unemployment_claims AS c WHERE c.province = :province
),
{_UNEMPLOYMENT},
work AS (
    SELECT c.claim_id, {_month("a.period")} AS month FROM claims AS c
    JOIN assessments AS a ON a.person_id = c.person_id AND a.period > c.separation_period
                         AND a.period <= :as_of_period
    WHERE a.payer_kind = 'employer' AND a.superseded_by IS NULL AND a.total_fen > 0  -- not a month corrected away
    UNION
    SELECT c.claim_id, {_month("t.period")} FROM claims AS c JOIN persons AS p ON p.id = c.person_id
    JOIN ext_tax_employment AS t ON t.id_hash = p.id_number_hash AND t.period > c.separation_period
                                AND t.period <= :as_of_period
    WHERE t.wage_fen > 0
),
first_work AS (SELECT claim_id, MIN(month) AS first_work FROM work GROUP BY claim_id)
{_benefit_findings(found, details)}"""
    return _bind(query, ctx, grace=int(ctx.param("risk.unemployment_while_employed.grace_months")))


def _unemployment_while_pension(session: Session, ctx: ScreenContext) -> TextClause:  # noqa: ARG001
    """R15: unemployment benefit paid for a month a basic pension was paid for too (by any province)."""
    found = """SELECT b.claim_id, MIN(b.person_id) AS person_id, MIN(b.month) AS first_month, MAX(b.month) AS last_month,
           COUNT(*) AS months, SUM(b.benefit_fen) AS amount_fen
    FROM benefit AS b
    WHERE EXISTS (SELECT 1 FROM pension_awards AS a JOIN payroll_lines AS x ON x.award_id = a.id
                  WHERE a.person_id = b.person_id AND x.for_period = b.period AND x.status = 'paid')
    GROUP BY b.claim_id"""
    details = "'{\"months_paid_with_pension\": ' || CAST(f.months AS VARCHAR(10)) || '}'"
    query = f"""WITH {_UNEMPLOYMENT}
{_benefit_findings(found, details)}"""
    return _bind(query, ctx)


_LEVELS = (  # (level, the region's code at that level from a street or county code, the rows that have that level)
    ("city", "SUBSTR(region, 1, 4) || '00'", "SUBSTR(region, 3, 2) <> '00'"),
    ("county", "SUBSTR(region, 1, 6)", "SUBSTR(region, 5, 2) <> '00'"),
    ("street", "region", "LENGTH(region) = 9"),
)


def _payroll_jump(session: Session, ctx: ScreenContext) -> TextClause:  # noqa: ARG001
    """R20: a region's payroll (what was paid in a month, by where its receivers live) above the previous month's by
    more than the set share, in a region paying at least the set number of receivers; every level from the province
    down to the street. One pass over the payroll sums each place of residence's month; a receiver lives in one
    place, so the places' receivers add up to their county's, city's and province's."""
    ratio = Decimal(str(ctx.param("risk.payroll_jump.ratio")))
    factor = int((1 + ratio) * 10000)  # compared in integers: total * 10000 > previous * factor
    levels = "\n    UNION ALL ".join(
        f"SELECT '{level}' AS level, {code} AS code, month, total_fen, receivers FROM places WHERE {where}"
        for level, code, where in _LEVELS)
    query = f"""WITH places AS (
    SELECT {_REGION} AS region, {_month("pl.paid_period")} AS month, SUM(pl.amount_fen) AS total_fen,
           COUNT(DISTINCT pl.person_id) AS receivers
    FROM payroll_lines AS pl JOIN persons AS p ON p.id = pl.person_id
    WHERE pl.province = :province AND pl.status = 'paid' AND pl.paid_period <= :as_of_period
    GROUP BY p.residence_region_code, pl.paid_period
),
levels AS (
    SELECT 'province' AS level, CAST(:province AS VARCHAR(9)) AS code, month, total_fen, receivers FROM places
    UNION ALL {levels}
),
totals AS (
    SELECT level, code, month, SUM(total_fen) AS total_fen, SUM(receivers) AS receivers
    FROM levels GROUP BY level, code, month
)
SELECT 'r:' || t.code || ':' || {_period_of("t.month")} AS finding_key, t.code AS region_code,
       CAST(NULL AS BIGINT) AS person_id, CAST(NULL AS INTEGER) AS employer_id, CAST(NULL AS VARCHAR(120)) AS staff_actor,
       t.total_fen - b.total_fen AS amount_fen, {_period_of("t.month")} AS period_from,
       {_period_of("t.month")} AS period_to,
       '{{"level": "' || t.level || '", "total_fen": ' || CAST(t.total_fen AS VARCHAR(20)) ||
       ', "previous_total_fen": ' || CAST(b.total_fen AS VARCHAR(20)) || ', "receivers": ' ||
       CAST(t.receivers AS VARCHAR(12)) || ', "previous_receivers": ' || CAST(b.receivers AS VARCHAR(12)) || '}}'
       AS details
FROM totals AS t JOIN totals AS b ON b.level = t.level AND b.code = t.code AND b.month = t.month - 1
WHERE t.receivers >= :min_receivers AND b.total_fen > 0 AND t.total_fen * 10000 > b.total_fen * :factor"""
    return _bind(query, ctx, factor=factor, min_receivers=int(ctx.param("risk.payroll_jump.min_receivers")))


DELETE_CHUNK = 500


def refresh_account_digests(*, session: Session, cipher: FieldCipher, ctx: ScreenContext) -> int:
    """Hashes the bank account behind each card of the province's receivers that changed since it was last hashed
    (or never was); returns how many. The one step that reads accounts one by one: they can only be decrypted here,
    and only the cards changed since the last screening are read again."""
    digest = RiskAccountDigest
    stale = session.execute(
        select(Card.id, Card.person_id, Card.bank_account_enc, Card.updated_at, digest.card_id.label("hashed"))
        .join(PensionAward, PensionAward.person_id == Card.person_id)
        .outerjoin(digest, digest.card_id == Card.id)
        .where(PensionAward.province == ctx.province, Card.bank_account_enc.is_not(None),
               or_(digest.card_id.is_(None), digest.card_updated_at != Card.updated_at))).all()
    if not stale:
        return 0
    changed = [row.id for row in stale if row.hashed is not None]
    for start in range(0, len(changed), DELETE_CHUNK):  # within any database's limit of bound parameters
        session.execute(delete(digest).where(digest.card_id.in_(changed[start:start + DELETE_CHUNK])))
    session.execute(insert(digest), [
        {"card_id": row.id, "person_id": row.person_id, "card_updated_at": row.updated_at,
         "account_digest": cipher.lookup_hash("bank_account:" + cipher.decrypt("bank_account", row.bank_account_enc))}
        for row in stale])
    return len(stale)


def _shared_bank_account(session: Session, ctx: ScreenContext) -> TextClause:  # noqa: ARG001
    """R16: one bank account behind the valid cards of at least the set number of the province's receivers (paid at
    least once up to the as-of month). The money at stake is what those receivers were paid for the as-of month."""
    query = f"""WITH receivers AS (
    SELECT a.person_id, a.id AS award_id FROM pension_awards AS a
    WHERE a.province = :province AND a.status IN ('paying', 'suspended')
      AND EXISTS (SELECT 1 FROM payroll_lines AS x WHERE x.award_id = a.id AND x.status = 'paid'
                  AND x.for_period <= :as_of_period)
),
accounts AS (
    SELECT d.account_digest, r.person_id, r.award_id FROM receivers AS r
    JOIN cards AS c ON c.person_id = r.person_id AND c.state IN ('issued', 'active', 'frozen')
    JOIN risk_account_digests AS d ON d.card_id = c.id
),
shared AS (
    SELECT account_digest, COUNT(DISTINCT person_id) AS receivers, MIN(person_id) AS person_id,
           MAX(person_id) AS last_person_id
    FROM accounts GROUP BY account_digest HAVING COUNT(DISTINCT person_id) >= :min_receivers
),
paid_now AS (
    SELECT s.account_digest, SUM(x.amount_fen) AS amount_fen FROM shared AS s
    JOIN accounts AS t ON t.account_digest = s.account_digest
    JOIN payroll_lines AS x ON x.award_id = t.award_id AND x.status = 'paid' AND x.for_period = :as_of_period
    GROUP BY s.account_digest
)
SELECT 'a:' || s.account_digest AS finding_key, {_REGION} AS region_code, s.person_id AS person_id,
       CAST(NULL AS INTEGER) AS employer_id, CAST(NULL AS VARCHAR(120)) AS staff_actor,
       COALESCE(n.amount_fen, 0) AS amount_fen, CAST(:as_of_period AS VARCHAR(6)) AS period_from,
       CAST(:as_of_period AS VARCHAR(6)) AS period_to,
       '{{"receivers": ' || CAST(s.receivers AS VARCHAR(12)) || ', "first_person_id": ' ||
       CAST(s.person_id AS VARCHAR(20)) || ', "last_person_id": ' || CAST(s.last_person_id AS VARCHAR(20)) || '}}'
       AS details
FROM shared AS s JOIN persons AS p ON p.id = s.person_id
LEFT JOIN paid_now AS n ON n.account_digest = s.account_digest"""
    return _bind(query, ctx, min_receivers=int(ctx.param("risk.shared_account.min_receivers")))


SCREENS = {
    "R01_paid_after_death": _paid_after_death,
    "R02_paid_during_sentence": _paid_during_sentence,
    "R03_paid_by_two_provinces": _paid_by_two_provinces,
    "R04_exclusive_schemes_together": _exclusive_schemes_together,
    "R14_unemployment_while_employed": _unemployment_while_employed,
    "R15_unemployment_while_pension": _unemployment_while_pension,
    "R16_shared_bank_account": _shared_bank_account,
    "R20_payroll_jump": _payroll_jump,
}

# What a rule needs done before its query runs, with the field key: rule id -> step(session=, cipher=, ctx=).
PREPARE = {"R16_shared_bank_account": refresh_account_digests}
