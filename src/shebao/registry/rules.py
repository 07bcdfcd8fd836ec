"""Registry rules: citizen ID numbers, unified social credit codes, names, phones, region codes.

Pure functions; "today" is passed in.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from stdnum.cn import ric, uscc

from shebao.core.errors import InvalidInput, given_zh
from shebao.registry.divisions import all_divisions, full_name, level_of

OLDEST_BIRTH_YEAR = 1880


class Sex(StrEnum):
    MALE = "M"
    FEMALE = "F"


SEX_NAMES: dict[Sex, tuple[str, str]] = {Sex.MALE: ("男", "male"), Sex.FEMALE: ("女", "female")}


class PersonStatus(StrEnum):
    LIVING = "living"
    DECEASED = "deceased"


class EmployerStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    CLOSED = "closed"


EMPLOYER_STATUS_NAMES: dict[EmployerStatus, tuple[str, str]] = {
    EmployerStatus.ACTIVE: ("正常", "active"), EmployerStatus.SUSPENDED: ("已暂停", "suspended"),
    EmployerStatus.CLOSED: ("已注销", "closed"),
}


@dataclass(frozen=True)
class IdNumber:
    """A valid citizen ID number (the social security number) and what it says of its holder."""

    number: str
    birth_date: date
    sex: Sex
    address_code: str
    address_name: str

    @property
    def masked(self) -> str:
        return self.number[:6] + "*" * 8 + self.number[-4:]


def _id_error(code: str, reason: str, reason_en: str) -> InvalidInput:
    return InvalidInput(f"id_number.{code}", reason, reason_en)


def upgrade_legacy_id(number: str) -> str:
    """A 15-digit number of the 1980s: insert '19' before the 2-digit year and add the check character."""
    body = number[:6] + "19" + number[6:]
    return body + ric.calc_check_digit(body + "0")


def parse_id_number(text: str, *, today: date) -> IdNumber:
    """Validate a citizen ID number and read the birth date, sex and address code from it.

    The address code names the county where the number was assigned, which may be years after the
    birth (re-registration, a new county): it must have existed at some time between the birth date
    and today. stdnum's own place check demands the code at the birth year, which turns real people away.
    """
    if not isinstance(text, str):
        raise _id_error("malformed", "身份证号码必须是文本", "an ID number is text")
    number = text.strip().upper()
    if len(number) == 15:
        if not number.isdigit():
            raise _id_error("malformed", "15位身份证号码只能包含数字", "a 15-digit ID number has digits only")
        number = upgrade_legacy_id(number)
    if len(number) != 18:
        raise _id_error("length", f"身份证号码应为18位（或15位旧号码），实为{len(number)}位",
                        f"an ID number has 18 characters (or 15 for a legacy number), not {len(number)}")
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise _id_error("malformed", "身份证号码前17位应为数字，末位为数字或「X」",
                        "an ID number is 17 digits and a final digit or X")
    if number[17] != ric.calc_check_digit(number):
        raise _id_error("checksum", "身份证号码校验码错误", "the check character does not match (ISO 7064 MOD 11-2)")
    birth_date = _birth_date(number, today)
    address_code = number[:6]
    division = all_divisions().get(address_code)
    if division is None or division.level == 0:
        raise _id_error("unknown_region", f"身份证号码的地址码 {address_code} 不是有效的行政区划代码",
                        f"address code {address_code} is not an administrative division")
    if not division.existed_between(birth_date.year, today.year):
        raise _id_error("region_not_in_use",
                        f"地址码 {address_code}（{division.name}）在出生至今（{birth_date.year}–{today.year}）期间不存在",
                        f"address code {address_code} did not exist between the birth year "
                        f"{birth_date.year} and {today.year}")
    sex = Sex.MALE if int(number[16]) % 2 == 1 else Sex.FEMALE
    year = min(max(birth_date.year, division.first_year or birth_date.year), division.last_year or today.year)
    return IdNumber(number, birth_date, sex, address_code, full_name(address_code, year))


def _birth_date(number: str, today: date) -> date:
    try:
        birth = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise _id_error("birth_date", f"身份证号码中的出生日期 {number[6:14]} 不存在",
                        f"the birth date {number[6:14]} in the number does not exist") from None
    if birth > today:
        raise _id_error("birth_date", f"出生日期 {birth} 晚于今天", f"the birth date {birth} is in the future")
    if birth.year < OLDEST_BIRTH_YEAR:
        raise _id_error("birth_date", f"出生日期 {birth} 过早", f"the birth date {birth} is implausibly early")
    return birth


@dataclass(frozen=True)
class CreditCode:
    code: str
    registration_authority: str
    entity_type: str
    region_code: str
    organization_code: str


_AUTHORITIES = {
    "1": "机构编制", "2": "外交", "3": "司法行政", "4": "文化", "5": "民政", "6": "旅游", "7": "宗教",
    "8": "工会", "9": "市场监管（工商）", "A": "中央军委改革和编制办公室", "N": "农业", "Y": "其他",
}
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ORG_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def organization_code_check(body: str) -> str:
    """GB 11714 check character of the 8-character organization code inside a credit code."""
    total = sum(_ORG_ALPHABET.index(c) * w for c, w in zip(body, _ORG_WEIGHTS))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def parse_credit_code(text: str) -> CreditCode:
    """Validate an 18-character unified social credit code (GB 32100-2015)."""
    if not isinstance(text, str):
        raise InvalidInput("uscc.malformed", "统一社会信用代码必须是文本", "a credit code is text")
    code = uscc.compact(text)
    if len(code) != 18:
        raise InvalidInput("uscc.length", f"统一社会信用代码应为18位，实为{len(code)}位",
                           f"a unified social credit code has 18 characters, not {len(code)}")
    try:
        uscc.validate(code)
    except Exception as exc:  # stdnum raises its own ValidationError subclasses
        checksum = "checksum" in type(exc).__name__.lower()
        raise InvalidInput("uscc.invalid", f"统一社会信用代码{'校验码错误' if checksum else '格式错误'}：{code}",
                           f"not a valid unified social credit code ({'bad check character' if checksum else 'malformed'}): "
                           f"{code}") from None
    if code[0] not in _AUTHORITIES:
        raise InvalidInput("uscc.authority", f"登记管理部门代码 {code[0]} 不存在",
                           f"no registration authority {code[0]}")
    organization = code[8:17]
    if organization[8] != organization_code_check(organization[:8]):
        raise InvalidInput("uscc.organization_code", f"组织机构代码 {organization} 校验码错误",
                           f"the organization code {organization} has a bad check character")
    return CreditCode(code, _AUTHORITIES[code[0]], code[1], code[2:8], organization)


# A cell that begins with one of these is run as a formula by spreadsheets (CSV injection, e.g.
# =HYPERLINK(...)); the full-width forms too, which some spreadsheets fold to the ASCII ones.
FORMULA_STARTS = ("=", "+", "-", "@", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def unsafe_text_problem(text: str) -> tuple[str, str] | None:
    """Why a piece of text must not enter the register, in Chinese and English (None when it may):
    control or invisible formatting characters (NUL, escapes, bidirectional overrides), or a first
    character that makes a spreadsheet run it as a formula once the register is exported."""
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zl", "Zp") for ch in text):
        return "含有控制字符或不可见字符", "it holds control or invisible characters"
    if text.lstrip().startswith(FORMULA_STARTS):
        return "不能以 = + - @ 开头（会被电子表格当作公式）", "it must not begin with = + - @ (a spreadsheet would run it as a formula)"
    return None


def _refuse_unsafe(text: str, code: str, what_zh: str, what_en: str) -> None:
    problem = unsafe_text_problem(text)
    if problem:
        raise InvalidInput(code, f"{what_zh}{problem[0]}", f"{what_en}: {problem[1]}")


_NAME_CHARS = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134fA-Za-z·• ]+$")


def normalise_name(text: str) -> str:
    """A person's or employer's name as the register writes it: NFC, trimmed, one space at most."""
    if not isinstance(text, str):
        raise InvalidInput("name.malformed", "姓名必须是文本", "a name is text")
    _refuse_unsafe(text.strip(), "name.unsafe", "姓名", "a name")
    name = re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip()
    if not 1 <= len(name) <= 50:
        raise InvalidInput("name.length", "姓名长度应为1至50个字符", "a name has 1 to 50 characters")
    if not _NAME_CHARS.match(name):
        raise InvalidInput("name.characters", "姓名只能包含汉字、字母、间隔号和空格",
                           "a name may hold Chinese characters, letters, the middle dot and spaces only")
    return name


_EMPLOYER_NAME_CHARS = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaffA-Za-z0-9·（）()\-—& .，,]+$")


def masked_name(name: str) -> str:
    """A name as a printed paper shows it beside the masked ID number: the first character kept, the rest starred
    (张三 → 张*, 欧阳娜娜 → 欧***); a one-character name stays as it is."""
    return name[:1] + "*" * (len(name) - 1)


def normalise_employer_name(text: str) -> str:
    if not isinstance(text, str):
        raise InvalidInput("employer_name.malformed", "单位名称必须是文本", "an employer name is text")
    _refuse_unsafe(text.strip(), "employer_name.unsafe", "单位名称", "an employer name")
    name = re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip()
    if not 2 <= len(name) <= 100:
        raise InvalidInput("employer_name.length", "单位名称长度应为2至100个字符", "an employer name has 2 to 100 characters")
    if not _EMPLOYER_NAME_CHARS.match(name):
        raise InvalidInput("employer_name.characters", "单位名称含有不允许的字符",
                           "an employer name may hold Chinese characters, letters, digits, brackets and hyphens only")
    return name


_STREET_NAME_FORBIDDEN = set("<>\"'&;")


def normalise_street_name(text: str) -> str:
    """A street's or township's name as an import gives it: NFC, trimmed, 2 to 40 plain characters."""
    if not isinstance(text, str):
        raise InvalidInput("street_name.malformed", "街道名称必须是文本", "a street name is text")
    _refuse_unsafe(text.strip(), "street_name.unsafe", "街道名称", "a street name")
    name = re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip()
    if not 2 <= len(name) <= 40 or _STREET_NAME_FORBIDDEN & set(name):
        raise InvalidInput("street_name.characters", "街道名称应为2至40个字符，不含 < > \" ' & ;",
                           "a street name has 2 to 40 characters, none of < > \" ' & ;")
    return name


_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")


def normalise_phone(text: str) -> str:
    phone = re.sub(r"[\s]", "", text or "")
    if phone.startswith("+86"):
        phone = phone[3:]
    if not (_MOBILE.match(phone) or _LANDLINE.match(phone)):
        raise InvalidInput("phone.malformed", "电话号码格式错误（手机号11位，或区号-号码）",
                           "a phone number is an 11-digit mobile or an area code and number")
    return phone


_INDUSTRY = re.compile(r"^[A-T](\d{2}(\d{1,2})?)?$")


def normalise_industry_code(text: str) -> str:
    """GB/T 4754 industry: a section letter A-T, optionally with a 2-4 digit class."""
    code = (text or "").strip().upper()
    if not _INDUSTRY.match(code):
        raise InvalidInput("industry.malformed", f"行业代码应为 GB/T 4754 门类代码（一个大写字母）加可选的2至4位数字{given_zh(text)}",
                           f"an industry code is a GB/T 4754 section letter and an optional 2-4 digit class: {text!r}")
    return code


_REGION_CODE = re.compile(r"^\d{6}(\d{3})?$")


def check_region_code_format(code: str) -> str:
    if not isinstance(code, str) or not _REGION_CODE.match(code):
        raise InvalidInput("region.malformed", f"区划代码应为6位或9位数字{given_zh(code)}",
                           f"a region code has 6 or 9 digits: {code!r}")
    return code


def region_level(code: str) -> int:
    return level_of(check_region_code_format(code))
