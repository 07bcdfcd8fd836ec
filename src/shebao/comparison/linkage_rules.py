"""Fuzzy record linkage, pure: the Splink model's comparisons (name, birth date, sex, region, ID number) as SQL
conditions on a pair of records, the settings built from the dated parameters, the normalisation of a citizen ID
number (a 15-digit legacy number to 18, a missing check character added), Fellegi–Sunter scoring of compared pairs
with a trained model, and what a probability decides (link, review, nothing). No database, no clock.

A record compared here has the columns of `COLUMNS` (a "linkage frame"). Splink names the two sides of a pair
`<column>_l` and `<column>_r` in a comparison and `l.<column>` / `r.<column>` in a blocking rule."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from stdnum.cn import ric

# The columns every source brings (our persons, another department's register, a generated bench): `frame_sql` derives
# the columns of a linkage frame from them. A name comes normalised (`normalised_name`); regions are county or street
# codes; id_number is the number as typed, or None where only a hash of it is held.
RAW_COLUMNS = ("unique_id", "kind", "record_id", "name", "sex", "birth_date", "hukou", "residence", "id_number")
COLUMNS = ("unique_id", "kind", "record_id", "name", "surname", "sex", "birth_date", "birth_year", "birth_month",
           "birth_day", "hukou", "residence", "address_code", "id_number", "id18")
REGION_COLUMNS = ("hukou", "residence", "address_code")  # six-digit county codes; address_code: the ID number's


class Status(StrEnum):
    LINKED = "linked"  # at or above the link threshold: linked without a clerk
    REVIEW = "review"  # in the grey band: a clerk decides
    CONFIRMED = "confirmed"  # a clerk confirmed: one person
    REJECTED = "rejected"  # a clerk rejected: two people
    WITHDRAWN = "withdrawn"  # undecided, and a later run no longer found it


STATUS_NAMES = {Status.LINKED: ("自动关联", "linked"), Status.REVIEW: ("待人工核查", "awaiting review"),
                Status.CONFIRMED: ("已确认为同一人", "confirmed: one person"),
                Status.REJECTED: ("已确认为不同人", "rejected: two people"),
                Status.WITHDRAWN: ("后续比对未再发现", "withdrawn: a later run no longer found it")}
DECIDABLE = (Status.LINKED, Status.REVIEW)  # a clerk may confirm or reject these (an automatic link can be undone)


@dataclass(frozen=True)
class Level:
    key: str  # "<comparison>.<level>": how parameters and explanations name it
    sql: str  # the condition on <column>_l / <column>_r
    zh: str
    en: str
    null: bool = False  # no evidence either way (a value missing on one side)


@dataclass(frozen=True)
class Comparison:
    name: str
    zh: str
    en: str
    levels: tuple[Level, ...]  # in order: the first condition that holds is the pair's level; the last is "else"


def _any_equal(width: int) -> str:
    """Some region code of one record shares its first `width` digits with some region code of the other."""
    return "(" + " OR ".join(f"substr({a}_l, 1, {width}) = substr({b}_r, 1, {width})"
                             for a in REGION_COLUMNS for b in REGION_COLUMNS) + ")"


def _levels(comparison: str, *levels: tuple[str, str, str, str]) -> tuple[Level, ...]:
    return tuple(Level(f"{comparison}.{key}", sql, zh, en, null=key == "null") for key, sql, zh, en in levels)


COMPARISONS: tuple[Comparison, ...] = (
    # Chinese names are compared by characters, without pinyin: a homophone typed for another (小/晓) is one
    # character apart, which Jaro-Winkler scores low on two- and three-character names; Levenshtein does not. On a
    # two-character name one character apart is only the surname shared, which strangers share: its own level.
    Comparison("name", "姓名", "name", _levels(
        "name",
        ("null", "name_l IS NULL OR name_r IS NULL", "缺少姓名", "a name is missing"),
        ("exact", "name_l = name_r", "姓名相同", "the same name"),
        ("one_char", "levenshtein(name_l, name_r) <= 1 AND length(name_l) >= 3 AND length(name_r) >= 3",
         "姓名相差一个字（如同音字）", "names one character apart (a homophone, …)"),
        ("similar", "jaro_winkler_similarity(name_l, name_r) >= 0.8", "姓名相近（字序不同等）",
         "similar names (characters in another order, …)"),
        ("surname", "surname_l = surname_r", "仅姓氏相同", "only the surname is the same"),
        ("else", "ELSE", "姓名不同", "different names"))),
    Comparison("birth", "出生日期", "birth date", _levels(
        "birth",
        ("null", "birth_date_l IS NULL OR birth_date_r IS NULL", "缺少出生日期", "a birth date is missing"),
        ("exact", "birth_date_l = birth_date_r", "出生日期相同", "the same birth date"),
        ("transposed", "birth_year_l = birth_year_r AND birth_month_l = birth_day_r AND birth_day_l = birth_month_r",
         "出生日期月日颠倒", "day and month swapped"),
        ("one_field", "(birth_year_l = birth_year_r AND birth_month_l = birth_month_r) OR (birth_year_l = birth_year_r "
                      "AND birth_day_l = birth_day_r) OR (birth_month_l = birth_month_r AND birth_day_l = birth_day_r)",
         "出生日期年月日有一项不同", "one of year, month and day differs"),
        ("else", "ELSE", "出生日期不同", "different birth dates"))),
    Comparison("sex", "性别", "sex", _levels(
        "sex",
        ("null", "sex_l IS NULL OR sex_r IS NULL", "缺少性别", "a sex is missing"),
        ("exact", "sex_l = sex_r", "性别相同", "the same sex"),
        ("else", "ELSE", "性别不同", "different sexes"))),
    Comparison("region", "地区", "region", _levels(
        "region",
        ("null", "(hukou_l IS NULL AND residence_l IS NULL AND address_code_l IS NULL) OR "
                 "(hukou_r IS NULL AND residence_r IS NULL AND address_code_r IS NULL)", "缺少地区", "no region"),
        ("county", _any_equal(6), "同一区县（户籍地、居住地或身份证地址码）",
         "the same county (hukou, residence or the ID number's address code)"),
        ("city", _any_equal(4), "同一地市", "the same city"),
        ("province", _any_equal(2), "同一省份", "the same province"),
        ("else", "ELSE", "不同省份", "different provinces"))),
    # Our own records carry the number (decrypted for the run, in memory only); another department's carry only our
    # keyed hash of it, which says "equal" or "not" — never how close: for them this comparison is null.
    Comparison("id", "身份证号码", "ID number", _levels(
        "id",
        ("null", "id18_l IS NULL OR id18_r IS NULL", "一方没有可比对的号码（仅有散列值）",
         "a number cannot be compared (only its hash is held)"),
        ("exact", "id_number_l = id_number_r", "号码相同", "the same number"),
        ("converted", "id18_l = id18_r", "15位旧号码升位（或补校验码）后相同",
         "the same once the 15-digit legacy number is upgraded (or the check character added)"),
        ("check_char", "substr(id18_l, 1, 17) = substr(id18_r, 1, 17)", "仅校验码不同",
         "only the check character differs"),
        ("one_digit", "levenshtein(id18_l, id18_r) <= 1", "号码相差一位", "one character apart"),
        # Two people born on one day in one county hold numbers two characters apart (the sequence and the check
        # character): two characters apart is evidence only where the difference lies in the address or birth part.
        ("two_digits", "levenshtein(id18_l, id18_r) <= 2 AND substr(id18_l, 1, 14) <> substr(id18_r, 1, 14)",
         "号码相差两位（在地址码或出生日期码中）", "two characters apart, in the address or birth part"),
        ("else", "ELSE", "号码不同（另一个号码）", "a different number (a second number)"))),
)
# A common name (张伟) agreeing says less than a rare one: the exact-name level is adjusted by the name's frequency.
TF_LEVELS = {"name.exact": "name"}
LEVELS: dict[str, Level] = {level.key: level for comparison in COMPARISONS for level in comparison.levels}


@dataclass(frozen=True)
class Parameters:
    """The linkage parameters in force (policy/parameters/national/linkage.yaml)."""

    link_threshold: Decimal  # p_high: at or above, linked
    review_threshold: Decimal  # p_low: at or above (and below p_high), to clerical review
    blocking_rules: Mapping[str, str]  # name → SQL on l./r.: the pairs scored at all
    deterministic_rules: Mapping[str, str]  # name → SQL: pairs that surely match, to estimate the prior
    deterministic_recall: Decimal  # the share of true matches those rules find
    em_blocking_rules: Mapping[str, str]  # name → SQL: the pairs EM trains m on, one session each
    u_max_pairs: int  # random pairs sampled to estimate u
    em_max_pairs: int  # pairs one EM session trains on at most
    seed: int
    min_records_to_train: int  # fewer records: the prior m and u below are used as they are
    duplicate_share: Decimal  # untrained: the share of records expected to duplicate another (gives the prior)
    m_prior: Mapping[str, Decimal]  # level key → m probability (untrained starting value)
    u_prior: Mapping[str, Decimal]  # level key → u probability

    def __post_init__(self) -> None:
        if not Decimal(0) < self.review_threshold < self.link_threshold < Decimal(1):
            raise ValueError("0 < review threshold < link threshold < 1")
        missing = [key for key, level in LEVELS.items() if not level.null
                   and (key not in self.m_prior or key not in self.u_prior)]
        if missing:
            raise ValueError(f"no prior m or u for {', '.join(missing)}")


def decide(probability: float, parameters: Parameters) -> Status | None:
    """What a pair's match probability decides: a link, a review, or nothing."""
    if probability >= float(parameters.link_threshold):
        return Status.LINKED
    if probability >= float(parameters.review_threshold):
        return Status.REVIEW
    return None


def prior_probability(records: int, parameters: Parameters) -> float:
    """An untrained model's probability that two random records match: the expected duplicates among all pairs."""
    pairs = records * (records - 1) / 2
    return min(0.5, max(float(parameters.duplicate_share) * records, 1.0) / pairs) if pairs else 0.5


def splink_settings(parameters: Parameters, *, probability_two_random_records_match: float) -> dict:
    """The Splink settings dictionary (dedupe of one linkage frame), starting from the prior m and u."""
    comparisons = []
    for comparison in COMPARISONS:
        levels = []
        for level in comparison.levels:
            entry: dict = {"sql_condition": level.sql, "label_for_charts": level.key}
            if level.null:
                entry["is_null_level"] = True
            else:
                entry["m_probability"] = float(parameters.m_prior[level.key])
                entry["u_probability"] = float(parameters.u_prior[level.key])
            if level.key in TF_LEVELS:
                entry["tf_adjustment_column"] = TF_LEVELS[level.key]
                entry["tf_adjustment_weight"] = 1.0
            levels.append(entry)
        comparisons.append({"output_column_name": comparison.name, "comparison_description": comparison.en,
                            "comparison_levels": levels})
    return {
        "link_type": "dedupe_only", "unique_id_column_name": "unique_id",
        "probability_two_random_records_match": probability_two_random_records_match,
        "comparisons": comparisons,
        "blocking_rules_to_generate_predictions": [
            {"blocking_rule": pair_rule(rule), "sql_dialect": "duckdb"} for rule in parameters.blocking_rules.values()],
        "retain_matching_columns": True, "retain_intermediate_calculation_columns": False,
        "additional_columns_to_retain": ["kind", "record_id"],
    }


# ---------------------------------------------------------------- a trained model, read back and applied


@dataclass(frozen=True)
class Model:
    """What scoring needs of a Splink model: the prior, and each level's m and u (null levels carry none)."""

    probability_two_random_records_match: float
    m: Mapping[str, float]
    u: Mapping[str, float]


def model_from_splink(settings: Mapping, parameters: Parameters) -> Model:
    """The m and u per level from a Splink settings dictionary (`save_model_to_json`); a level Splink could not train
    (never observed) keeps its prior."""
    m = {key: float(value) for key, value in parameters.m_prior.items()}
    u = {key: float(value) for key, value in parameters.u_prior.items()}
    for comparison in settings["comparisons"]:
        for level in comparison["comparison_levels"]:
            key = level.get("label_for_charts")
            if key in LEVELS and not LEVELS[key].null:
                m[key] = float(level.get("m_probability", m[key]))
                u[key] = float(level.get("u_probability", u[key]))
    return Model(float(settings["probability_two_random_records_match"]), m, u)


def model_from_priors(parameters: Parameters, probability_two_random_records_match: float) -> Model:
    return Model(probability_two_random_records_match,
                 {key: float(value) for key, value in parameters.m_prior.items()},
                 {key: float(value) for key, value in parameters.u_prior.items()})


def model_as_json(model: Model) -> dict:
    return {"probability_two_random_records_match": model.probability_two_random_records_match,
            "m": dict(model.m), "u": dict(model.u)}


def model_from_json(saved: Mapping) -> Model:
    return Model(float(saved["probability_two_random_records_match"]),
                 {k: float(v) for k, v in saved["m"].items()}, {k: float(v) for k, v in saved["u"].items()})


SMALLEST = 1e-300  # only to keep log2 finite: an m or u of exactly zero


def level_weight(model: Model, key: str) -> float:
    """The level's match weight log2(m/u); 0 for a null level (no evidence)."""
    if LEVELS[key].null or key not in model.m or key not in model.u:
        return 0.0
    return math.log2(max(model.m[key], SMALLEST) / max(model.u[key], SMALLEST))


def score(model: Model, level_keys: Sequence[str], *, term_frequencies: Mapping[str, float] | None = None
          ) -> tuple[float, float]:
    """(match weight, match probability) of a pair whose comparisons fell into these levels: Fellegi–Sunter as
    Splink computes it, a term-frequency level's weight adjusted by log2(u) − log2(frequency of the value)."""
    prior = model.probability_two_random_records_match
    weight = math.log2(prior / (1 - prior))
    for key in level_keys:
        weight += level_weight(model, key)
        column = TF_LEVELS.get(key)
        if column and term_frequencies and term_frequencies.get(column):
            weight += math.log2(max(model.u[key], SMALLEST)) - math.log2(term_frequencies[column])
    bayes = 2.0 ** min(weight, 1000.0)
    return weight, bayes / (1 + bayes)


def splink_level(comparison: Comparison, gamma: int) -> str:
    """The level key of Splink's comparison vector value: -1 for the null level, else counted from the last (else)
    level at 0 up to the first."""
    if gamma == -1:
        return next(level.key for level in comparison.levels if level.null)
    counted = [level for level in comparison.levels if not level.null]
    return counted[len(counted) - 1 - gamma].key


def gamma_sql(comparison: Comparison) -> str:
    """A CASE giving the index in `comparison.levels` of the level a pair falls into, on <column>_l/_r."""
    arms = [f"WHEN {level.sql} THEN {index}" for index, level in enumerate(comparison.levels) if level.sql != "ELSE"]
    return f"CASE {' '.join(arms)} ELSE {len(comparison.levels) - 1} END"


def pair_levels_sql(frame: str, unique_id: str) -> str:
    """The level index of every comparison between one record of a frame (`unique_id`) and each other record: the
    model's own conditions, for scoring a few pairs without Splink. Returns record_id and one column per comparison."""
    sides = ", ".join(f"l.{c} AS {c}_l, r.{c} AS {c}_r" for c in COLUMNS)
    cases = ", ".join(f"{gamma_sql(comparison)} AS {comparison.name}" for comparison in COMPARISONS)
    quoted = unique_id.replace("'", "''")
    return (f"SELECT record_id_r, {cases} FROM (SELECT {sides} FROM {frame} l JOIN {frame} r "
            f"ON l.unique_id = '{quoted}' AND r.unique_id <> l.unique_id) ORDER BY record_id_r")


def explain(level_keys: Sequence[str], model: Model) -> list[dict]:
    """Each comparison's level, in Chinese and English, with its weight: what a clerk reads beside a pair."""
    return [{"comparison": key.split(".")[0], "level": key.split(".")[1], "reason": LEVELS[key].zh,
             "reason_en": LEVELS[key].en, "weight": round(level_weight(model, key), 2)} for key in level_keys]


def pair_rule(rule: str) -> str:
    """A blocking rule that never pairs two records of another department (their duplicates are theirs)."""
    return f"({rule}) AND NOT (l.kind = 'ext_population' AND r.kind = 'ext_population')"


def frame_sql(source: str) -> str:
    """The linkage frame from a table of `RAW_COLUMNS` (DuckDB): the surname, the birth date's parts, six-digit
    county codes, the number in its 18-character form and the address code it carries."""
    return (f"SELECT unique_id, kind, record_id, name, substr(name, 1, 1) AS surname, sex, birth_date, "
            f"year(birth_date) AS birth_year, month(birth_date) AS birth_month, day(birth_date) AS birth_day, "
            f"substr(hukou, 1, 6) AS hukou, substr(residence, 1, 6) AS residence, "
            f"CASE WHEN regexp_full_match(substr(id18, 1, 6), '[0-9]{{6}}') THEN substr(id18, 1, 6) END AS address_code, "
            f"id_number, id18 FROM (SELECT *, {normalised_number_sql('id_number')} AS id18 FROM {source})")


# ---------------------------------------------------------------- values brought to the frame


def normalised_number(raw: str | None) -> str | None:
    """The 18-character form of a citizen ID number as typed: a 15-digit legacy number upgraded ("19" before the
    year, the check character computed), 17 digits given their missing check character, x as X. Anything else is
    kept as typed (a typo stays a typo: that is what the comparison measures); None for nothing."""
    if raw is None:
        return None
    number = raw.strip().upper()
    if not number:
        return None
    if len(number) == 15 and number.isdigit():
        body = number[:6] + "19" + number[6:]
        return body + ric.calc_check_digit(body + "0")  # stdnum reads a number with its check position
    if len(number) == 17 and number.isdigit():
        return number + ric.calc_check_digit(number + "0")
    return number


_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)  # ISO 7064 MOD 11-2 weights of GB 11643


def normalised_number_sql(column: str) -> str:
    """`normalised_number` in SQL (DuckDB), for a frame of millions: the same answer, set-based."""
    def check(body: str) -> str:
        total = " + ".join(f"{w} * CAST(substr({body}, {i + 1}, 1) AS INTEGER)" for i, w in enumerate(_WEIGHTS))
        return f"substr('10X98765432', (({total}) % 11) + 1, 1)"

    upper = f"upper(trim({column}))"
    legacy = f"(substr({upper}, 1, 6) || '19' || substr({upper}, 7, 9))"
    return (f"CASE WHEN {column} IS NULL OR trim({column}) = '' THEN NULL "
            f"WHEN length({upper}) = 15 AND regexp_full_match({upper}, '[0-9]{{15}}') THEN {legacy} || {check(legacy)} "
            f"WHEN length({upper}) = 17 AND regexp_full_match({upper}, '[0-9]{{17}}') THEN {upper} || {check(upper)} "
            f"ELSE {upper} END")


def normalised_name(name: str | None) -> str | None:
    """A name as compared: inner spaces and the middle dots of minority names (·・•) dropped, full-width letters
    folded. A name is never changed in the registry by this; only compared."""
    if name is None:
        return None
    import unicodedata

    folded = unicodedata.normalize("NFKC", name)
    kept = "".join(ch for ch in folded if not ch.isspace() and ch not in "·・•.")
    return kept or None
