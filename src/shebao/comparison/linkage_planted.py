"""Noisy duplicates with known truth, for the linkage tests and the bench: people drawn with Chinese names,
birth dates, sexes and counties, and for some of them a second record of the same person whose number does not
match — a 15-digit legacy number, a typo, a missing check character, a second number — with, besides, a
homophone typed for a character of the name, day and month swapped or one of them off, a move to another county.

Pure and seeded: the same arguments give the same records. No database, no clock (`today` is passed in)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from stdnum.cn import ric

# Common surnames with their approximate shares (per mille) of the population, so that surname blocks are as
# uneven as real ones.
SURNAMES = {"王": 71, "李": 70, "张": 66, "刘": 54, "陈": 45, "杨": 31, "黄": 23, "赵": 22, "吴": 20, "周": 19,
            "徐": 15, "孙": 15, "马": 14, "朱": 13, "胡": 12, "郭": 12, "何": 11, "林": 10, "高": 10, "罗": 9,
            "郑": 9, "梁": 8, "谢": 7, "宋": 7, "唐": 7, "许": 6, "韩": 6, "冯": 6, "邓": 6, "曹": 6, "彭": 5,
            "曾": 5, "肖": 5, "田": 5, "董": 5, "袁": 4, "潘": 4, "于": 4, "蒋": 4, "蔡": 4, "余": 4, "杜": 4,
            "叶": 4, "程": 4, "苏": 3, "魏": 3, "吕": 3, "丁": 3, "任": 3, "沈": 3, "姚": 3, "卢": 3, "姜": 3,
            "崔": 3, "钟": 3, "谭": 2, "陆": 2, "汪": 2, "范": 2, "金": 2, "石": 2, "廖": 2, "贾": 2, "夏": 2,
            "韦": 2, "付": 2, "方": 2, "白": 2, "邹": 2, "孟": 2, "熊": 2, "秦": 2, "邱": 2, "江": 2, "尹": 2,
            "薛": 2, "闫": 2, "段": 2, "雷": 2, "侯": 2, "龙": 2, "史": 2, "陶": 1, "黎": 1, "贺": 1, "顾": 1,
            "毛": 1, "郝": 1, "龚": 1, "邵": 1, "万": 1, "钱": 1, "严": 1, "覃": 1, "武": 1, "戴": 1, "欧阳": 1}
GIVEN = ("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国文辉鹏飞俊峰宇浩凯波斌宁琳晶燕"
         "婷雪慧颖佳欣怡梅琴云莉倩婧瑞博晨阳海东志新春丹凤荣健龙亮成林冬梅兵彬鑫磊晓小春燕海霞德")
# Characters a clerk types for one another (same sound, other character): the commonest typo in a Chinese name.
HOMOPHONES = ("小晓筱", "明铭鸣", "伟玮炜", "丽莉俐", "华桦骅", "军君钧", "静婧靖", "红宏鸿虹", "英瑛莹",
              "玲琳林麟", "刚钢", "杰洁", "文雯", "平萍", "云芸", "建健剑", "春椿", "峰锋枫", "涛韬", "斌彬",
              "敏民", "芳方", "娜纳", "勇永", "霞侠", "燕艳", "鹏朋", "飞菲", "宇雨", "浩皓", "佳嘉", "欣馨",
              "怡宜", "倩茜", "晨辰", "阳洋", "东冬", "新欣", "荣蓉", "健建", "龙隆", "亮靓")
_SOUND = {ch: group for group in HOMOPHONES for ch in group}

ID_NOISE = ("legacy", "typo", "check_char", "missing_check", "second")


@dataclass
class Planted:
    """Records as columns (one list per column of a raw linkage input), and the truth: every pair of records of
    one person, (smaller id, larger id)."""

    unique_id: list[int] = field(default_factory=list)
    name: list[str] = field(default_factory=list)
    sex: list[str] = field(default_factory=list)
    birth_date: list[date] = field(default_factory=list)
    hukou: list[str] = field(default_factory=list)
    residence: list[str] = field(default_factory=list)
    id_number: list[str] = field(default_factory=list)
    truth: set[tuple[int, int]] = field(default_factory=set)
    noise: dict[int, tuple[str, ...]] = field(default_factory=dict)  # a duplicate's id → what was done to it

    def __len__(self) -> int:
        return len(self.unique_id)

    def columns(self) -> dict[str, list]:
        return {"unique_id": self.unique_id, "name": self.name, "sex": self.sex, "birth_date": self.birth_date,
                "hukou": self.hukou, "residence": self.residence, "id_number": self.id_number}


def id_body(county: str, birth: date, sequence: int) -> str:
    return f"{county}{birth:%Y%m%d}{sequence:03d}"


def with_check(body: str) -> str:
    return body + ric.calc_check_digit(body + "0")  # stdnum reads a number with its check position


def plant(*, people: int, duplicate_share: float, counties: Sequence[str], today: date, seed: int = 14,
          first_id: int = 1) -> Planted:
    """`people` persons, and for a `duplicate_share` of them a second record (a tenth of those a third) whose number
    does not match. Each person is born between 1940 and 18 years before `today`, in one of `counties`."""
    rng = random.Random(seed)
    surnames, weights = list(SURNAMES), list(SURNAMES.values())
    planted = Planted()
    oldest, youngest = date(1940, 1, 1), date(today.year - 18, today.month, min(today.day, 28))
    span = (youngest - oldest).days
    used: set[str] = set()
    next_id = first_id
    by_province: dict[str, list[str]] = {}
    for county in counties:
        by_province.setdefault(county[:2], []).append(county)

    def number(county: str, birth: date, sex: str) -> str:
        while True:  # the sequence's last digit is odd for a man, even for a woman
            candidate = with_check(id_body(county, birth, rng.randrange(500) * 2 + (sex == "M")))
            if candidate not in used:
                used.add(candidate)
                return candidate

    def add(name: str, sex: str, birth: date, hukou: str, residence: str, id_number: str) -> int:
        nonlocal next_id
        uid = next_id
        next_id += 1
        planted.unique_id.append(uid)
        planted.name.append(name)
        planted.sex.append(sex)
        planted.birth_date.append(birth)
        planted.hukou.append(hukou)
        planted.residence.append(residence)
        planted.id_number.append(id_number)
        return uid

    for _ in range(people):
        sex = "M" if rng.random() < 0.5 else "F"
        birth = oldest + timedelta(days=rng.randrange(span))
        name = rng.choices(surnames, weights)[0] + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2, 2))))
        hukou = rng.choice(counties)
        residence = hukou if rng.random() < 0.7 else rng.choice(by_province[hukou[:2]])
        original = number(hukou, birth, sex)
        first = add(name, sex, birth, hukou, residence, original)
        if rng.random() >= duplicate_share:
            continue
        records = [first]
        for _copy in range(2 if rng.random() < 0.1 else 1):
            uid, noise = _duplicate(rng, planted, first, original, counties, by_province, number, add)
            planted.noise[uid] = noise
            records.append(uid)
        planted.truth.update((a, b) for i, a in enumerate(records) for b in records[i + 1:])
    return planted


def _duplicate(rng: random.Random, planted: Planted, first: int, original: str, counties: Sequence[str],
               by_province: dict[str, list[str]], number, add) -> tuple[int, tuple[str, ...]]:  # noqa: ANN001
    index = first - planted.unique_id[0]
    name, sex, birth = planted.name[index], planted.sex[index], planted.birth_date[index]
    hukou, residence = planted.hukou[index], planted.residence[index]
    noise: list[str] = []
    if rng.random() < 0.35:
        name = homophone(rng, name)
        noise.append("name")
    if rng.random() < 0.25:
        birth = _birth_noise(rng, birth)
        noise.append("birth")
    if rng.random() < 0.3:  # moved: within the province mostly; the hukou moved along now and then
        residence = rng.choice(by_province[hukou[:2]]) if rng.random() < 0.7 else rng.choice(counties)
        hukou = residence if rng.random() < 0.3 else hukou
        noise.append("moved")
    kind = rng.choice(ID_NOISE)
    if kind == "legacy" and not 1900 <= planted.birth_date[index].year <= 1999:
        kind = "second"
    if kind == "legacy":
        id_number = original[:6] + original[8:17]
    elif kind == "typo":
        id_number = _typo(rng, original)
    elif kind == "check_char":
        id_number = original[:17] + rng.choice([c for c in "0123456789X" if c != original[17]])
    elif kind == "missing_check":
        id_number = original[:17]
    else:  # a second number: another county's code (where the person registered again), another sequence
        id_number = number(rng.choice(counties), birth, sex)
    noise.append(kind)
    return add(name, sex, birth, hukou, residence, id_number), tuple(noise)


def homophone(rng: random.Random, name: str) -> str:
    """One character of the given name typed as another of the same sound (or, without one, a character dropped
    or doubled)."""
    positions = [i for i in range(1, len(name)) if name[i] in _SOUND]
    if positions:
        i = rng.choice(positions)
        return name[:i] + rng.choice([c for c in _SOUND[name[i]] if c != name[i]]) + name[i + 1:]
    if len(name) > 2:
        i = rng.randrange(1, len(name))
        return name[:i] + name[i + 1:]
    return name + name[-1]


def _birth_noise(rng: random.Random, birth: date) -> date:
    if birth.day <= 12 and birth.day != birth.month and rng.random() < 0.6:
        return date(birth.year, birth.day, birth.month)
    for _ in range(10):
        field_ = rng.choice(("year", "month", "day"))
        try:
            if field_ == "year":
                return birth.replace(year=birth.year + rng.choice((-1, 1)))
            if field_ == "month":
                return birth.replace(month=min(12, max(1, birth.month + rng.choice((-1, 1)))))
            return birth.replace(day=min(28, max(1, birth.day + rng.choice((-1, 1)))))
        except ValueError:
            continue
    return birth


def _typo(rng: random.Random, original: str) -> str:
    """One digit of the sequence or the address code mistyped; half the time the check character recomputed (a
    valid number, someone else's form), half the time not."""
    i = rng.choice((3, 4, 5, 14, 15))
    digit = rng.choice([d for d in "0123456789" if d != original[i]])
    body = original[:i] + digit + original[i + 1:17]
    return with_check(body) if rng.random() < 0.5 else body + original[17]


def precision_recall(found: set[tuple[int, int]], truth: set[tuple[int, int]]) -> tuple[float, float]:
    """(precision, recall) of found pairs against the planted ones (pairs as (smaller, larger))."""
    hits = len(found & truth)
    return (hits / len(found) if found else 1.0), (hits / len(truth) if truth else 1.0)
