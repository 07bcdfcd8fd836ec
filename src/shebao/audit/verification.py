"""`audit verify`: the chain walked end to end, and held against every signed checkpoint.

The checkpoints are judged first (each must be signed by a trusted audit key and follow the one before
it, and the database's copies must be in the file); then the chain's own walk and each checkpoint's
record, the problem at the lowest record coming first. One problem is named: the first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shebao.audit.checkpoints import FIRST_PREV, Anchor, Checkpoint, Problem, signed_by_trusted
from shebao.core import audit
from shebao.core.audit import AuditCheckpoint, ChainReport


@dataclass(frozen=True)
class AnchoredReport:
    chain: ChainReport
    problem: Problem | None
    checkpoints: int
    newest: Checkpoint | None

    @property
    def ok(self) -> bool:
        return self.problem is None

    def as_dict(self) -> dict[str, Any]:
        problem = self.problem
        anchored = self.newest.seq if self.newest else 0
        body: dict[str, Any] = {
            "ok": self.ok, "records": self.chain.records,
            "first_broken_seq": problem.seq if problem else None,
            "first_bad_checkpoint": problem.checkpoint if problem else None,
            "problem": problem.en if problem else None, "problem_zh": problem.zh if problem else None,
            "code": problem.code if problem else None,
            "anchor": {"checkpoints": self.checkpoints, "newest": self.newest.as_dict() if self.newest else None,
                       "unanchored_records": max(self.chain.records - anchored, 0)},
        }
        if self.newest is None and self.chain.records:
            body["anchor"]["warning"] = "no checkpoint yet: nothing outside the database vouches for the chain"
            body["anchor"]["warning_zh"] = "尚无检查点：数据库之外没有任何凭据为审计链作证"
        return body


def verify_anchored(*, session: Session, anchor: Anchor) -> AnchoredReport:
    """The chain, its checkpoints, and whether each still holds; the first problem named."""
    chain = audit.verify(session)
    checkpoints, problems = anchor.file.read()
    trusted = anchor.public_keys()
    sound, file_problems = _sound_checkpoints(checkpoints, trusted)
    mirrored, mirror_problems = _mirror_only(session, checkpoints, trusted)
    anchored = sound + mirrored
    problem = next(iter(problems + file_problems + mirror_problems), None) or _first_by_record(
        _chain_problem(chain), _anchor_problems(session, anchored, chain.records))
    newest = max(anchored, key=lambda c: c.number, default=None)
    return AnchoredReport(chain, problem, len(checkpoints), newest)


def _chain_problem(chain: ChainReport) -> Problem | None:
    if chain.ok:
        return None
    return Problem(chain.code or "audit.chain_broken", chain.problem_zh or "", chain.problem or "", seq=chain.first_broken_seq)


def _first_by_record(*found: Problem | list[Problem] | None) -> Problem | None:
    """The problem at the lowest record; the chain's own walk before a checkpoint at the same record."""
    flat = [p for item in found for p in (item if isinstance(item, list) else [item]) if p is not None]
    return min(flat, key=lambda p: p.seq or 0, default=None)


def _sound_checkpoints(checkpoints: list[Checkpoint], trusted: dict[str, str]) -> tuple[list[Checkpoint], list[Problem]]:
    """The file's checkpoints that may be trusted, and the first reason one may not: numbered without gaps, each
    following the one before it, signed by a trusted key, never going back along the chain."""
    previous: Checkpoint | None = None
    for index, checkpoint in enumerate(checkpoints):
        problem = _judge(checkpoint, previous, trusted)
        if problem is not None:
            return checkpoints[:index], [problem]
        previous = checkpoint
    return checkpoints, []


def _judge(checkpoint: Checkpoint, previous: Checkpoint | None, trusted: dict[str, str]) -> Problem | None:
    number = checkpoint.number
    expected = previous.number + 1 if previous else 1
    if number != expected:
        return Problem("checkpoint.missing", f"检查点文件缺少第 {expected} 个检查点（其后是第 {number} 个）",
                       f"checkpoint {expected} is missing from the checkpoint file (next is {number})", checkpoint=expected)
    if checkpoint.key_id not in trusted:
        return Problem("checkpoint.unknown_key", f"检查点 {number} 的签名密钥「{checkpoint.key_id}」不是受信任的审计密钥",
                       f"checkpoint {number} is signed with {checkpoint.key_id}, not a trusted audit key", checkpoint=number)
    if not signed_by_trusted(checkpoint, trusted):
        return Problem("checkpoint.forged", f"检查点 {number} 的签名无效：检查点被改动或伪造",
                       f"checkpoint {number} fails its signature: it was altered or forged", checkpoint=number)
    if checkpoint.prev != (previous.digest() if previous else FIRST_PREV):
        return Problem("checkpoint.link_broken", f"检查点 {number} 不接续上一个检查点", f"checkpoint {number} does not follow "
                       "the checkpoint before it", checkpoint=number)
    if previous is not None and checkpoint.seq < previous.seq:
        return Problem("checkpoint.goes_back", f"检查点 {number} 的记录数少于上一个检查点：链曾被截短后重签",
                       f"checkpoint {number} has fewer records than the one before: the chain was cut and signed again",
                       checkpoint=number)
    return None


def _mirror_only(session: Session, in_file: list[Checkpoint], trusted: dict[str, str]) -> tuple[list[Checkpoint], list[Problem]]:
    """The database's copies held against the file: a signed copy the file lacks means the file was cut (and the
    copy still anchors the chain); a copy that differs or fails its signature is reported."""
    by_number = {c.number: c for c in in_file}
    extra: list[Checkpoint] = []
    for row in session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.number)):
        copy = Checkpoint.of_row(row)
        original = by_number.get(copy.number)
        if original == copy:
            continue
        if not signed_by_trusted(copy, trusted):
            return extra, [Problem("checkpoint.copy_forged", f"数据库中检查点 {copy.number} 的副本签名无效",
                                   f"the database's copy of checkpoint {copy.number} fails its signature",
                                   checkpoint=copy.number)]
        if original is not None:
            return extra, [Problem("checkpoint.copy_differs", f"检查点 {copy.number} 在文件与数据库中不一致",
                                   f"checkpoint {copy.number} differs between the file and the database",
                                   checkpoint=copy.number)]
        extra.append(copy)
    if extra:
        first = extra[0].number
        return extra, [Problem("checkpoint.file_cut", f"数据库中有检查点 {first}，检查点文件中却没有：文件被截短或替换",
                               f"checkpoint {first} is in the database but not in the checkpoint file: the file was cut "
                               "or replaced", checkpoint=first)]
    return extra, []


def _anchor_problems(session: Session, checkpoints: list[Checkpoint], chain_records: int) -> list[Problem]:
    """Each checkpoint held against the chain: its record must still be there, with the hash it signed."""
    stored = audit.hashes_at(session, [c.seq for c in checkpoints])
    problems, last_held = [], 0
    for checkpoint in sorted(checkpoints, key=lambda c: c.seq):
        found = stored.get(checkpoint.seq)
        if found is None:
            problems.append(Problem(
                "checkpoint.chain_cut",
                f"第 {checkpoint.seq} 条记录已不存在，而检查点 {checkpoint.number} 签署时链有 {checkpoint.records} 条：末尾记录被删除",
                f"record {checkpoint.seq} is gone, but checkpoint {checkpoint.number} signed a chain of {checkpoint.records} "
                "records: the newest records were removed",
                seq=min(checkpoint.seq, chain_records + 1), checkpoint=checkpoint.number))
        elif found != checkpoint.hash:
            problems.append(Problem(
                "checkpoint.chain_rewritten",
                f"第 {checkpoint.seq} 条记录的哈希与检查点 {checkpoint.number} 签署的不同：第 {last_held + 1} 至 {checkpoint.seq} 条之间有记录被改写",
                f"record {checkpoint.seq} does not have the hash checkpoint {checkpoint.number} signed: a record from "
                f"{last_held + 1} to {checkpoint.seq} was rewritten", seq=checkpoint.seq, checkpoint=checkpoint.number))
        else:
            last_held = checkpoint.seq
    return problems
