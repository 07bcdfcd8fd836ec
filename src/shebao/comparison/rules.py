"""The registries other departments send, pure: each kind's declared columns and how each value is checked, how a
keyed hash from another department is stored, and when a hashed file matches too few of ours to have been hashed under
the agreed key. No database, no clock (reading the file itself: `files.py`)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from stdnum.cn import uscc as stdnum_uscc

from shebao.core.errors import InvalidInput
from shebao.core.periods import Period
from shebao.registry.rules import parse_id_number

HASH = re.compile(r"^[0-9a-f]{64}$")
REGION = re.compile(r"^\d{6}(\d{3})?$")
EARLIEST = date(1900, 1, 1)  # no registry row of a living system dates from before; an earlier date is a typo
# A row of a hashed file whose hash matched none of our persons keeps the other department's hash, marked so that it
# never equals one of ours (which are 64 hex digits) and cut to fit the column: "x:" and the first 62 hex digits.
EXCHANGE_MARK = "x:"
# Kinds whose rows are mostly people we know: a hashed file of these matching almost none of ours was hashed under
# another key. Prisoners, students and (by credit code) enterprises may rightly match few.
EXPECT_MATCH = ("population", "deaths", "tax_employment")


class RowProblem(Exception):
    """A value of a row that is not what its column declares: (reason in Chinese, reason in English)."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(en)
        self.zh, self.en = zh, en


@dataclass(frozen=True)
class Context:
    today: date
    hashed: bool  # the id_number column holds the exchange's keyed hash, not the number
    regions: frozenset[str]  # the six-digit division codes that exist


Check = Callable[[str, Context], object]


def _required(value: str, zh: str, en: str) -> str:
    if not value:
        raise RowProblem(f"缺少{zh}", f"{en} is missing")
    return value


def id_number(value: str, ctx: Context) -> str:
    """The 18-character number, or with --hmac-key-file the hex HMAC-SHA256 of it (lower case)."""
    _required(value, "身份证号码", "id_number")
    if ctx.hashed:
        if not HASH.match(value.lower()):
            raise RowProblem("应为 64 位十六进制的密钥散列值", "must be the 64-hex-digit keyed hash of the number")
        return value.lower()
    try:
        return parse_id_number(value, today=ctx.today).number
    except InvalidInput as exc:
        raise RowProblem(exc.reason, exc.reason_en) from None


def name(value: str, ctx: Context) -> str:
    _required(value, "姓名", "name")
    if len(value) > 100:
        raise RowProblem("名称超过 100 个字符", "longer than 100 characters")
    return value


def sex(value: str, ctx: Context) -> str:
    mapped = {"M": "M", "F": "F", "男": "M", "女": "F", "1": "M", "2": "F"}.get(value.upper() if value else value)
    if mapped is None:
        raise RowProblem(f"性别应为 M 或 F：「{value}」", f"sex is M or F: {value!r}")
    return mapped


def past_date(value: str, ctx: Context) -> date:
    day = any_date(value, ctx)
    if day > ctx.today:
        raise RowProblem(f"日期 {day} 晚于今天", f"the date {day} is in the future")
    return day


def any_date(value: str, ctx: Context) -> date:
    _required(value, "日期", "a date")
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise RowProblem(f"日期应为 YYYY-MM-DD：「{value[:20]}」", f"a date is YYYY-MM-DD: {value[:20]!r}") from None
    if day < EARLIEST:
        raise RowProblem(f"日期 {day} 早于 {EARLIEST.year} 年", f"the date {day} is before {EARLIEST.year}")
    return day


def optional_date(value: str, ctx: Context) -> date | None:
    return any_date(value, ctx) if value else None


def region(value: str, ctx: Context) -> str:
    if not REGION.match(value or "") or value[:6] not in ctx.regions:
        raise RowProblem(f"没有区划「{value[:12]}」", f"no such region: {value[:12]!r}")
    return value


def choice(*allowed: str) -> Check:
    def check(value: str, ctx: Context) -> str:
        if value not in allowed:
            raise RowProblem(f"应为 {'、'.join(allowed)} 之一：「{value[:20]}」", f"one of {', '.join(allowed)}: {value[:20]!r}")
        return value
    return check


def credit_code(value: str, ctx: Context) -> str:
    _required(value, "统一社会信用代码", "uscc")
    if not stdnum_uscc.is_valid(value):
        raise RowProblem(f"统一社会信用代码无效：「{value[:20]}」", f"not a valid unified social credit code: {value[:20]!r}")
    return stdnum_uscc.compact(value)


def period(value: str, ctx: Context) -> str:
    try:
        month = Period.parse(value)
    except InvalidInput as exc:
        raise RowProblem(exc.reason, exc.reason_en) from None
    if month > Period.of(ctx.today):
        raise RowProblem(f"月份 {month} 晚于本月", f"the month {month} is in the future")
    return str(month)


def fen(value: str, ctx: Context) -> int:
    if not re.fullmatch(r"\d{1,13}", value or ""):
        raise RowProblem(f"金额应为非负整数（分）：「{value[:20]}」", f"an amount is a non-negative whole number of fen: {value[:20]!r}")
    return int(value)


def text(value: str, ctx: Context) -> str:
    return _required(value, "内容", "a value")[:200]


# Each kind's columns, exactly as the issue declares them (other tools depend on them), with their checks.
KINDS: dict[str, dict[str, Check]] = {
    "population": {"id_number": id_number, "name": name, "sex": sex, "birth_date": past_date, "hukou_region": region,
                   "residence_region": region, "status": choice("normal", "deregistered", "moved_out")},
    "deaths": {"id_number": id_number, "name": name, "death_date": past_date, "source": text},
    "prisoners": {"id_number": id_number, "name": name, "from_date": past_date, "to_date": optional_date},
    "enterprises": {"uscc": credit_code, "name": name, "region": region, "established": past_date,
                    "status": choice("active", "deregistered")},
    "tax_employment": {"uscc": credit_code, "id_number": id_number, "period": period, "wage_fen": fen},
    "students": {"id_number": id_number, "name": name, "school": text, "until": any_date},
}
KIND_NAMES = {"population": ("公安户籍人口", "household register"), "deaths": ("死亡登记", "deaths"),
              "prisoners": ("服刑人员", "prisoners"), "enterprises": ("市场主体登记", "enterprise register"),
              "tax_employment": ("税务工资薪金申报", "tax employment"), "students": ("在校学生", "students")}


def check_header(kind: str, header: list[str]) -> None:
    """The file's columns are exactly the kind's declared ones (any order)."""
    wanted = list(KINDS[kind])
    got = [column.strip() for column in header]
    missing, extra = [c for c in wanted if c not in got], [c for c in got if c not in wanted]
    if missing or extra or len(set(got)) != len(got):
        raise InvalidInput("exchange.columns", f"列不符：应为 {','.join(wanted)}" + (f"；缺少 {','.join(missing)}" if missing else "")
                           + (f"；多出 {','.join(extra)}" if extra else ""),
                           f"the columns must be {','.join(wanted)}" + (f"; missing {','.join(missing)}" if missing else "")
                           + (f"; unexpected {','.join(extra)}" if extra else ""), expected=wanted, got=got[:20])


# The date of a kind that cannot fall before the person's birth (read from the ID number when the file holds numbers).
AFTER_BIRTH = {"deaths": ("death_date", "死亡日期", "death"), "prisoners": ("from_date", "刑期开始", "the sentence's start"),
               "students": ("until", "在学截止日期", "the end of study")}


def check_row(kind: str, row: dict[str, str], ctx: Context) -> dict[str, object]:
    """The row's values checked and normalised, or RowProblem naming the first bad column."""
    clean = {}
    for column, check in KINDS[kind].items():
        try:
            clean[column] = check((row.get(column) or "").strip(), ctx)
        except RowProblem as problem:
            raise RowProblem(f"{column}：{problem.zh}", f"{column}: {problem.en}") from None
    if kind == "prisoners" and clean["to_date"] is not None and clean["to_date"] < clean["from_date"]:
        raise RowProblem("to_date：刑期结束早于开始", "to_date: the sentence ends before it starts")
    if "id_number" in clean and not ctx.hashed:
        born = date(int(clean["id_number"][6:10]), int(clean["id_number"][10:12]), int(clean["id_number"][12:14]))
        if kind == "population" and clean["birth_date"] != born:
            raise RowProblem(f"birth_date：出生日期与身份证号码所载的 {born} 不符",
                             f"birth_date: not the birth date {born} the ID number carries")
        if kind in AFTER_BIRTH and clean[AFTER_BIRTH[kind][0]] < born:
            column, zh, en = AFTER_BIRTH[kind]
            raise RowProblem(f"{column}：{zh}早于出生日期 {born}", f"{column}: {en} is before the birth date {born}")
    return clean


def exchange_mark(keyed_hash: str) -> str:
    """The stored form of another department's keyed hash that matched none of our persons."""
    return EXCHANGE_MARK + keyed_hash[:62]


def match_rate(matched: int, rows: int) -> Decimal:
    """The share of a file's rows that are one of ours, to four places, half up."""
    return (Decimal(matched) / Decimal(rows)).quantize(Decimal("0.0001"), ROUND_HALF_UP) if rows else Decimal(0)


def check_key(kind: str, *, rows: int, matched: int, min_rows: int, floor: Decimal) -> None:
    """A hashed file of a kind that should mostly match, with enough rows to judge, matching below the floor was
    hashed under another key than the one agreed: it is refused (with the right key, hashes match as numbers would;
    with a wrong one, none does)."""
    rate = match_rate(matched, rows)
    if kind in EXPECT_MATCH and rows >= min_rows and rate < floor:
        percent, floor_percent = f"{rate * 100:.2f}%", f"{(floor * 100).normalize():f}%"
        raise InvalidInput("exchange.hmac_key_mismatch",
                           f"{rows} 行中只有 {matched} 行（{percent}）与本系统人员相符，低于 {floor_percent}：文件所用的密钥与约定的不符，未导入",
                           f"only {matched} of {rows} rows ({percent}) match anyone of ours, below {floor_percent}: the "
                           "file was hashed under another key than the one given; nothing was imported",
                           rows=rows, matched=matched, match_rate=str(rate), floor=str(floor))
