"""The registries other departments send, pure: each kind's declared columns and how each value is checked, and
how a file's bytes are read (UTF-8 with or without BOM, or GBK, and which was read). No database, no clock."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from stdnum.cn import uscc as stdnum_uscc

from shebao.core.errors import InvalidInput
from shebao.core.periods import Period
from shebao.registry.rules import parse_id_number

HASH = re.compile(r"^[0-9a-f]{64}$")
REGION = re.compile(r"^\d{6}(\d{3})?$")
UTF8_BOM = b"\xef\xbb\xbf"


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
        return date.fromisoformat(value)
    except ValueError:
        raise RowProblem(f"日期应为 YYYY-MM-DD：「{value[:20]}」", f"a date is YYYY-MM-DD: {value[:20]!r}") from None


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
    return clean


def decode(data: bytes) -> tuple[str, str]:
    """The text of a file and the encoding read: UTF-8 (with or without BOM), else GBK; neither is refused."""
    if data.startswith(UTF8_BOM):
        return _strict(data[len(UTF8_BOM):], "utf-8"), "utf-8-sig"
    for encoding in ("utf-8", "gbk"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise InvalidInput("exchange.encoding", "文件编码无法识别：只接受统一码和国标汉字编码", "the file is neither UTF-8 nor GBK text")


def _strict(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        raise InvalidInput("exchange.encoding", "文件带有统一码的字节顺序标记，内容却不是统一码",
                           "the file starts with a UTF-8 BOM but is not UTF-8") from None
