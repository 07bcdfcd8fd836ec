"""Fuzzy record linkage (一人多号): records whose ID numbers do not match — a 15-digit legacy number, a typo, a
missing check character, a second number — linked on name, birth date, sex, region and what can be compared of the
number, with Splink (DuckDB backend) and the model of `linkage_rules`.

What is compared against what:
- our person ↔ our person: every comparison; the ID numbers are decrypted set-wise for the run (FieldCipher), held
  in the in-memory DuckDB only, never written anywhere (a pair is stored by record ids);
- our person ↔ a household-register row (`ext_population`) whose keyed hash matches none of our numbers: name,
  birth date, sex and region; the row holds only our keyed hash of its number, which says "not equal" and nothing
  of how close, so the ID-number comparison is null for these pairs (no evidence either way);
- two household-register rows are never paired: the other department's duplicates are its own.
Rows of a file hashed under another department's exchange key (`--hmac-key-file`) count once the import has
translated them to our hash (those matching none of ours are marked `x:`); untranslated they are left out, as are rows
not of status normal.

A run (`run_province`) trains the model on the province's records (or, with too few, uses the prior m and u of the
parameters), scores the blocked pairs, links those at or above the link threshold and queues the grey band for a
clerk (`review_queue`, `decide`). Links — automatic or confirmed — are `person_links`, which the comparison's
`duplicates` list reads. A registration (`registration_warnings`) scores the new person against the few records of
the same name or the same birth date and sex with the model the last run saved: no training, one small query."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.orm import Session, aliased

from shebao.comparison import linkage_rules as rules
from shebao.comparison.linkage_schemas import (
    LinkCandidatePage,
    LinkCandidateRead,
    LinkDecide,
    LinkDecision,
    LinkLevelRead,
    LinkRecordRead,
)
from shebao.comparison.models import ExchangeImport, ExtPopulation, LinkCandidate, LinkRun, PersonLink
from shebao.core import audit
from shebao.core.clock import china_today, utc_naive
from shebao.core.db import Database
from shebao.core.errors import Conflict, Forbidden, InvalidInput, not_in_scope
from shebao.core.regions import province_of, region_prefix
from shebao.core.security import FieldCipher, Principal, Role
from shebao.policy.store import ParameterStore, default_store
from shebao.registry import rules as registry_rules
from shebao.registry.divisions import all_divisions
from shebao.registry.models import Person

Progress = Callable[[str, int, int], None]
PERSON, EXTERNAL = "person", "ext_population"
REGISTRATION_BLOCK = 200  # at most this many existing records are scored against a new registration
SUBJECT = ("关联候选记录对", "link candidate")


# ---------------------------------------------------------------- parameters


def parameters_at(store: ParameterStore, region: str, day: date) -> tuple[rules.Parameters, dict]:
    """The linkage parameters in force in a region on a day, and the same as JSON with their sources (for the run's
    record)."""
    snapshot = store.at(region, day)
    read = {name: snapshot.explain(f"linkage.{name}") for name in (
        "link_threshold", "review_threshold", "blocking_rules", "deterministic_rules", "deterministic_recall",
        "em_blocking_rules", "u_max_pairs", "em_max_pairs", "seed", "min_records_to_train", "duplicate_share",
        "m_prior", "u_prior")}
    value = {name: parameter.value for name, parameter in read.items()}
    parameters = rules.Parameters(**value)
    recorded = {name: {"value": parameter.as_dict()["value"], "since": parameter.since.isoformat(),
                       "source": parameter.source} for name, parameter in read.items()}
    return parameters, recorded


# ---------------------------------------------------------------- the Splink run over a frame


@dataclass(frozen=True)
class ScoredPair:
    left: str  # unique ids
    right: str
    probability: float
    weight: float
    levels: tuple[str, ...]  # one level key per comparison, in COMPARISONS order


@dataclass(frozen=True)
class LinkOutcome:
    records: int
    pairs: list[ScoredPair]  # at or above the review threshold
    model: rules.Model
    trained: bool
    seconds: float


def link_frame(raw, parameters: rules.Parameters, *, progress: Progress | None = None,  # noqa: ANN001 - an Arrow table
               threshold: float | None = None) -> LinkOutcome:
    """Links the records of one raw frame (an Arrow table of the columns `rules.RAW_COLUMNS`) with Splink on DuckDB:
    trains the model (or keeps the priors below `min_records_to_train` records), predicts the blocked pairs and returns
    those at or above `threshold` (default: the review threshold)."""
    import duckdb

    started = time.perf_counter()
    floor = float(parameters.review_threshold) if threshold is None else threshold
    connection = duckdb.connect()
    try:
        connection.register("raw_records", raw)
        connection.execute(f"CREATE TABLE frame AS {rules.frame_sql('raw_records')}")
        records = connection.execute("SELECT count(*) FROM frame").fetchall()[0][0]
        prior = rules.prior_probability(records, parameters)
        if records < 2:
            return LinkOutcome(records, [], rules.model_from_priors(parameters, prior), False,
                               time.perf_counter() - started)
        linker = _linker(connection, parameters, prior)
        trained = records >= parameters.min_records_to_train
        if trained:
            linker = _train(connection, linker, parameters, progress)
        if progress:
            progress("predicting", 0, 1)
        predictions = linker.inference.predict(threshold_match_probability=floor, warning_mode="never")
        gammas = ", ".join(f"gamma_{comparison.name}" for comparison in rules.COMPARISONS)
        rows = connection.execute(f"SELECT unique_id_l, unique_id_r, match_probability, match_weight, {gammas} "
                                  f"FROM {predictions.physical_name}").fetchall()
        model = rules.model_from_splink(linker.misc.save_model_to_json(), parameters)
        if progress:
            progress("predicting", 1, 1)
    finally:
        connection.close()
    width = len(rules.COMPARISONS)
    pairs = [ScoredPair(str(row[0]), str(row[1]), float(row[2]), float(row[3]),
                        tuple(rules.splink_level(comparison, gamma)
                              for comparison, gamma in zip(rules.COMPARISONS, row[4:4 + width], strict=True)))
             for row in rows]
    return LinkOutcome(records, pairs, model, trained, time.perf_counter() - started)


def _linker(connection, parameters: rules.Parameters, prior: float, model: dict | None = None):  # noqa: ANN001, ANN202
    """A Splink linker on DuckDB over the frame: from the parameters' priors, or from a saved model."""
    from splink import DuckDBAPI, Linker

    logging.getLogger("splink").setLevel(logging.ERROR)  # "level not observed" is expected on a province's data
    frame = DuckDBAPI(connection).register("frame")
    settings = model if model is not None else rules.splink_settings(parameters, probability_two_random_records_match=prior)
    return Linker(frame, settings, log_level=None)


def _train(connection, linker, parameters: rules.Parameters, progress: Progress | None):  # noqa: ANN001, ANN202
    steps = 2 + len(parameters.em_blocking_rules)
    if progress:
        progress("training", 0, steps)
    try:
        linker.training.estimate_probability_two_random_records_match(
            [rules.pair_rule(rule) for rule in parameters.deterministic_rules.values()],
            recall=float(parameters.deterministic_recall))
    except ValueError:
        pass  # more sure matches than the recall allows (a tiny or odd frame): the prior stays
    if progress:
        progress("training", 1, steps)
    linker.training.estimate_u_using_random_sampling(max_pairs=parameters.u_max_pairs, seed=parameters.seed)
    if progress:
        progress("training", 2, steps)
    for index, rule in enumerate(parameters.em_blocking_rules.values(), start=3):
        before = linker.misc.save_model_to_json()
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(rules.pair_rule(rule),
                                                                               max_pairs=parameters.em_max_pairs)
        except ValueError:  # EM drove a level's probability below what float64 holds on this data: the round is
            # left out and the model restored as it was before it (Splink may have half-updated it)
            logging.getLogger(__name__).warning("linkage: the EM round on %s was left out (a probability underflowed)",
                                                rule)
            linker = _linker(connection, parameters, 0.0, model=before)
        if progress:
            progress("training", index, steps)
    return linker


# ---------------------------------------------------------------- a province's run


def run_province(*, database: Database, cipher: FieldCipher, province: str, actor: str, now: datetime,
                 store: ParameterStore | None = None, progress: Progress | None = None) -> dict:
    """Links the records of a province: our persons who live or hold their hukou there, and the household-register
    rows of the province that no number of ours matches. Records the run, the pairs and the links."""
    _check_province(province)
    started_at = utc_naive(now)
    parameters, recorded = parameters_at(store or default_store(), province, china_today(now))
    with database.unit_of_work() as uow:
        raw, persons, external = _frame_inputs(uow.session, cipher, province, progress)
    outcome = link_frame(raw, parameters, progress=progress)
    with database.transaction() as session:
        run = LinkRun(province=province, persons=persons, external=external, pairs=len(outcome.pairs), linked=0,
                      review=0, withdrawn=0, trained=outcome.trained, parameters=json.dumps(recorded, ensure_ascii=False),
                      model=json.dumps(rules.model_as_json(outcome.model)), seconds=round(outcome.seconds, 3),
                      run_by=actor, started_at=started_at, finished_at=utc_naive(now))
        session.add(run)
        session.flush()
        counts = _record_pairs(session, run, outcome.pairs, parameters, actor=actor, now=now)
        run.linked, run.review, run.withdrawn = counts["linked"], counts["review"], counts["withdrawn"]
        audit.append(session, actor=actor, action="linkage.run", subject=f"link_run:{run.id}", now=now,
                     province=province, persons=persons, external=external, pairs=len(outcome.pairs), **counts)
        run_id = run.id
    return {"run_id": run_id, "province": province, "persons": persons, "external": external,
            "pairs": len(outcome.pairs), "trained": outcome.trained, "seconds": round(outcome.seconds, 3),
            "probability_two_random_records_match": outcome.model.probability_two_random_records_match,
            "link_threshold": str(parameters.link_threshold), "review_threshold": str(parameters.review_threshold),
            **counts}


def _check_province(province: str) -> None:
    if not (isinstance(province, str) and len(province) == 6 and province.isdigit() and province.endswith("0000")
            and province in all_divisions()):
        raise InvalidInput("linkage.province", f"省份代码应为6位、以0000结尾的现行省级区划代码：「{str(province)[:12]}」",
                           f"a province is a 6-digit code ending in 0000: {str(province)[:12]!r}")


def _frame_inputs(session: Session, cipher: FieldCipher, province: str, progress: Progress | None):  # noqa: ANN202
    """The raw frame of the run (an Arrow table) and how many persons and register rows it holds."""
    import pyarrow as pa

    prefix = province[:2]
    columns: dict[str, list] = {name: [] for name in rules.RAW_COLUMNS}

    def add(uid: str, kind: str, record_id: int, name: str, sex: str, birth: date, hukou: str, residence: str,
            number: str | None) -> None:
        for column, value in zip(rules.RAW_COLUMNS, (uid, kind, record_id, rules.normalised_name(name), sex, birth,
                                                     hukou, residence, number), strict=True):
            columns[column].append(value)

    ours = select(Person.id, Person.name, Person.sex, Person.birth_date, Person.hukou_region_code,
                  Person.residence_region_code, Person.id_number_enc).where(
        or_(Person.residence_region_code.startswith(prefix), Person.hukou_region_code.startswith(prefix)))
    persons = 0
    for row in session.execute(ours.execution_options(yield_per=10_000)):
        add(f"p{row.id}", PERSON, row.id, row.name, row.sex, row.birth_date, row.hukou_region_code,
            row.residence_region_code, _number(cipher, row.id_number_enc))
        persons += 1
        if progress and persons % 50_000 == 0:
            progress("reading", persons, persons)
    external = 0
    for row in session.execute(_unmatched_population(prefix).execution_options(yield_per=10_000)):
        add(f"e{row.id}", EXTERNAL, row.id, row.name, row.sex, row.birth_date, row.hukou_region,
            row.residence_region, None)
        external += 1
    schema = pa.schema([("unique_id", pa.string()), ("kind", pa.string()), ("record_id", pa.int64()),
                        ("name", pa.string()), ("sex", pa.string()), ("birth_date", pa.date32()),
                        ("hukou", pa.string()), ("residence", pa.string()), ("id_number", pa.string())])
    return pa.table(columns, schema=schema), persons, external


def _number(cipher: FieldCipher, encrypted: bytes) -> str:
    try:
        return cipher.decrypt("id_number", encrypted)
    except Exception:  # noqa: BLE001 - cryptography's InvalidTag, a key id not ours: the same answer
        raise Conflict("linkage.undecryptable", "无法解密身份证号码：数据加密主密钥与登记时不同（「SHEBAO_SECRET_KEY」）",
                       "an ID number cannot be decrypted: the secret key differs from the one it was registered "
                       "under (SHEBAO_SECRET_KEY)") from None


def _unmatched_population(prefix: str):  # noqa: ANN202 - a Select
    """The province's household-register rows of status normal whose number matches none of ours, the latest row of
    each number. A row of a file hashed under an exchange key counts once the import has translated it (a number of
    ours rewritten to our hash, any other marked `x:`); untranslated, its hash cannot be told from ours and it is
    left out."""
    comparable = or_(ExchangeImport.hash_key_fingerprint.is_(None), ExtPopulation.id_hash.startswith("x:"))
    latest = select(func.max(ExtPopulation.id)).join(ExchangeImport, ExchangeImport.id == ExtPopulation.import_id).where(
        comparable).group_by(ExtPopulation.id_hash)
    ours = select(Person.id).where(Person.id_number_hash == ExtPopulation.id_hash)
    return select(ExtPopulation.id, ExtPopulation.name, ExtPopulation.sex, ExtPopulation.birth_date,
                  ExtPopulation.hukou_region, ExtPopulation.residence_region).where(
        or_(ExtPopulation.residence_region.startswith(prefix), ExtPopulation.hukou_region.startswith(prefix)),
        ExtPopulation.status == "normal", ExtPopulation.id.in_(latest), ~ours.exists()).order_by(ExtPopulation.id)


def _oriented(left: str, right: str) -> tuple[int, str, int]:
    """(person id, other kind, other id) of a pair: a person of ours on the left, the smaller id first."""
    sides = sorted([(uid[0] != "p", int(uid[1:])) for uid in (left, right)])
    (_, person_id), (other_is_external, other_id) = sides
    return person_id, EXTERNAL if other_is_external else PERSON, other_id


def _record_pairs(session: Session, run: LinkRun, pairs: Sequence[ScoredPair], parameters: rules.Parameters, *,
                  actor: str, now: datetime) -> dict:
    """New pairs added, undecided ones brought up to date (a link made or undone with its probability), a clerk's
    decisions kept, undecided pairs no longer found withdrawn."""
    stamp = utc_naive(now)
    existing = {(c.person_id, c.other_kind, c.other_id): c
                for c in session.scalars(select(LinkCandidate).where(LinkCandidate.province == run.province))}
    counts = {"linked": 0, "review": 0, "withdrawn": 0, "kept_decided": 0}
    seen = set()
    for pair in pairs:
        key = _oriented(pair.left, pair.right)
        if key in seen:
            continue
        seen.add(key)
        status = rules.decide(pair.probability, parameters)
        candidate = existing.get(key)
        if candidate is not None and candidate.status in (rules.Status.CONFIRMED, rules.Status.REJECTED):
            counts["kept_decided"] += 1
            continue
        if candidate is None:
            candidate = LinkCandidate(province=run.province, person_id=key[0], other_kind=key[1], other_id=key[2],
                                      found_by=actor, found_at=stamp)
            session.add(candidate)
        candidate.run_id, candidate.status = run.id, status.value
        candidate.match_probability, candidate.match_weight = pair.probability, pair.weight
        candidate.levels = json.dumps(list(pair.levels))
        counts[status.value] += 1
    session.flush()
    for key, candidate in existing.items():
        if key not in seen and candidate.status in (rules.Status.LINKED, rules.Status.REVIEW):
            candidate.status = rules.Status.WITHDRAWN.value
            counts["withdrawn"] += 1
    session.flush()
    _sync_automatic_links(session, run.province, actor=actor, now=stamp)
    return counts


def _sync_automatic_links(session: Session, province: str, *, actor: str, now: datetime) -> None:
    """Every linked pair of the province has its automatic link, and no other pair has one that is not confirmed."""
    linked = select(LinkCandidate.id).where(LinkCandidate.province == province,
                                            LinkCandidate.status == rules.Status.LINKED.value)
    session.execute(delete(PersonLink).where(PersonLink.method == "automatic", PersonLink.candidate_id.in_(
        select(LinkCandidate.id).where(LinkCandidate.province == province,
                                       LinkCandidate.status != rules.Status.LINKED.value))))
    have = select(PersonLink.candidate_id)
    for candidate in session.scalars(select(LinkCandidate).where(LinkCandidate.id.in_(linked),
                                                                 LinkCandidate.id.not_in(have))):
        session.add(_link(candidate, method="automatic", by=actor, at=now))
    session.flush()


def _link(candidate: LinkCandidate, *, method: str, by: str, at: datetime) -> PersonLink:
    return PersonLink(candidate_id=candidate.id, person_id_a=candidate.person_id,
                      person_id_b=candidate.other_id if candidate.other_kind == PERSON else None,
                      ext_population_id=candidate.other_id if candidate.other_kind == EXTERNAL else None,
                      match_probability=candidate.match_probability, source="linkage", method=method,
                      confirmed_by=by, confirmed_at=at)


# ---------------------------------------------------------------- what the comparison's lists read


def linked_persons(*, session: Session, until: datetime | None = None) -> list[tuple[int, int]]:
    """One person, several numbers: the pairs of our persons held to be one person (linked above the threshold or
    confirmed by a clerk), (person_id_a, person_id_b) with a < b, those held by `until` (naive UTC) if given."""
    query = select(PersonLink.person_id_a, PersonLink.person_id_b).where(PersonLink.person_id_b.is_not(None))
    if until is not None:
        query = query.where(PersonLink.confirmed_at <= until)
    return [(a, b) for a, b in session.execute(query.order_by(PersonLink.person_id_a, PersonLink.person_id_b))]


def linked_register_rows(*, session: Session, until: datetime | None = None) -> list[tuple[int, int]]:
    """Household-register rows held to be a person of ours under another number, (person_id, ext_population id): such
    a row is insured (under our number), not missing from the register."""
    query = select(PersonLink.person_id_a, PersonLink.ext_population_id).where(PersonLink.ext_population_id.is_not(None))
    if until is not None:
        query = query.where(PersonLink.confirmed_at <= until)
    return [(a, e) for a, e in session.execute(query.order_by(PersonLink.person_id_a, PersonLink.ext_population_id))]


# ---------------------------------------------------------------- clerical review


def review_queue(*, session: Session, principal: Principal, region_code: str | None = None,
                 status: str = rules.Status.REVIEW.value, limit: int = 50, offset: int = 0,
                 now: datetime) -> LinkCandidatePage:
    """The pairs awaiting a clerk (or of another status) among the persons the principal handles — judged on the
    persons as stored, where they live or hold their hukou; optionally within a sub-region."""
    principal.require_role(Role.STAFF, Role.ADMIN, Role.AUDITOR)
    if status not in {s.value for s in rules.Status}:
        raise InvalidInput("linkage.status", f"状态应为 {'、'.join(s.value for s in rules.Status)} 之一：「{str(status)[:20]}」",
                           f"the status is one of {', '.join(s.value for s in rules.Status)}: {str(status)[:20]!r}")
    query = _in_scope(select(LinkCandidate), principal)
    if region_code:
        registry_rules.check_region_code_format(region_code)
        principal.require_region(region_code)
        query = _within(query, region_prefix(region_code))
    query = query.where(LinkCandidate.status == status)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    found = session.scalars(query.order_by(LinkCandidate.match_probability.desc(), LinkCandidate.id)
                            .limit(min(max(limit, 1), 200)).offset(max(offset, 0))).all()
    audit.append(session, actor=principal.actor, action="linkage.queue_viewed", subject=f"region:{region_code or principal.region_code}",
                 now=now, status=status, returned=[c.id for c in found])
    return LinkCandidatePage(total=total, items=[_read(session, c, with_birth_date=False, now=now) for c in found])


_OTHER = aliased(Person)


def _in_scope(query, principal: Principal):  # noqa: ANN001, ANN202 - a Select
    if principal.role != Role.STAFF:
        return query
    return _within(query, region_prefix(principal.region_code or ""))


def _within(query, prefix: str):  # noqa: ANN001, ANN202 - a Select
    """Pairs of which a person (either side) lives or holds their hukou within the prefix."""
    if not prefix:
        return query
    mine = select(Person.id).where(or_(Person.residence_region_code.startswith(prefix, autoescape=True),
                                       Person.hukou_region_code.startswith(prefix, autoescape=True)))
    return query.where(or_(LinkCandidate.person_id.in_(mine),
                           and_(LinkCandidate.other_kind == PERSON, LinkCandidate.other_id.in_(mine))))


def _persons_of(session: Session, candidate: LinkCandidate) -> list[Person]:
    ids = [candidate.person_id] + ([candidate.other_id] if candidate.other_kind == PERSON else [])
    return [person for person in (session.get(Person, i) for i in ids) if person is not None]


def _require_in_scope(session: Session, principal: Principal, candidate: LinkCandidate | None) -> LinkCandidate:
    if candidate is not None and (principal.role in (Role.ADMIN, Role.AUDITOR) or principal.role == Role.STAFF and any(
            principal.serves(p.residence_region_code, p.hukou_region_code) for p in _persons_of(session, candidate))):
        return candidate
    raise not_in_scope(*SUBJECT)


def get_candidate(*, session: Session, principal: Principal, candidate_id: int, now: datetime) -> LinkCandidateRead:
    """One pair in full (birth dates beside the masked numbers): a view of each person's data, audited."""
    principal.require_role(Role.STAFF, Role.ADMIN, Role.AUDITOR)
    candidate = _require_in_scope(session, principal, session.get(LinkCandidate, candidate_id))
    for person in _persons_of(session, candidate):
        audit.append(session, actor=principal.actor, action="person.viewed", subject=f"person:{person.id}", now=now,
                     via=f"link_candidate:{candidate.id}")
    return _read(session, candidate, with_birth_date=True, now=now)


def decide(*, session: Session, principal: Principal, candidate_id: int, command: LinkDecide,
           now: datetime) -> LinkCandidateRead:
    """A clerk confirms a pair as one person (it joins `person_links`) or rejects it (two people: an automatic link
    is undone). Never a pair about the clerk's own record (an account that names its person), nor a pair a registration
    warned of by the clerk who registered."""
    principal.require_role(Role.STAFF, Role.ADMIN)
    candidate = _require_in_scope(session, principal, session.get(LinkCandidate, candidate_id))
    if principal.person_id is not None and principal.person_id in {p.id for p in _persons_of(session, candidate)}:
        raise Forbidden("linkage.own_record", "不能核查涉及本人的记录对，请由其他经办人员办理",
                        "a clerk does not decide a pair about their own record: another clerk does")
    if candidate.run_id is None and candidate.found_by == principal.actor:
        raise Forbidden("linkage.four_eyes", "登记时提示的记录对须由登记人以外的经办人员核查",
                        "a pair a registration warned of is decided by a clerk other than the one who registered")
    if candidate.status not in {s.value for s in rules.DECIDABLE}:
        zh, en = rules.STATUS_NAMES[rules.Status(candidate.status)]
        raise Conflict("linkage.decided", f"该记录对已有结论（{zh}），不能再次核查",
                       f"this pair is already decided ({en}); it is not decided twice", status=candidate.status)
    stamp = utc_naive(now)
    confirmed = command.decision == LinkDecision.CONFIRM
    candidate.status = (rules.Status.CONFIRMED if confirmed else rules.Status.REJECTED).value
    candidate.decided_by, candidate.decided_at, candidate.decision_reason = principal.actor, stamp, command.reason
    session.execute(delete(PersonLink).where(PersonLink.candidate_id == candidate.id))
    if confirmed:
        session.add(_link(candidate, method="clerical", by=principal.actor, at=stamp))
    session.flush()
    for person in _persons_of(session, candidate):
        audit.append(session, actor=principal.actor, action=f"linkage.{candidate.status}", subject=f"person:{person.id}",
                     now=now, candidate=candidate.id, other=f"{candidate.other_kind}:{candidate.other_id}",
                     probability=round(candidate.match_probability, 6), reason=command.reason)
    return _read(session, candidate, with_birth_date=True, now=now)


def _read(session: Session, candidate: LinkCandidate, *, with_birth_date: bool, now: datetime) -> LinkCandidateRead:
    person = session.get(Person, candidate.person_id)
    if candidate.other_kind == PERSON:
        right = _person_record(session.get(Person, candidate.other_id), with_birth_date)
    else:
        row = session.get(ExtPopulation, candidate.other_id)
        right = LinkRecordRead(kind=EXTERNAL, id=row.id, name=row.name, sex=row.sex,
                               birth_date=row.birth_date if with_birth_date else None,
                               hukou_region_code=row.hukou_region, residence_region_code=row.residence_region,
                               id_number_masked=None)
    keys = json.loads(candidate.levels)
    zh, _en = rules.STATUS_NAMES[rules.Status(candidate.status)]
    return LinkCandidateRead(
        candidate_id=candidate.id, province=candidate.province, status=candidate.status, status_zh=zh,
        match_probability=round(candidate.match_probability, 6), match_weight=round(candidate.match_weight, 3),
        left=_person_record(person, with_birth_date), right=right,
        levels=[LinkLevelRead(**level) for level in rules.explain(keys, _explaining_model(session, candidate.province, now))],
        found_by=candidate.found_by, found_at=candidate.found_at, decided_by=candidate.decided_by,
        decided_at=candidate.decided_at, decision_reason=candidate.decision_reason)


def _person_record(person: Person, with_birth_date: bool) -> LinkRecordRead:
    return LinkRecordRead(kind=PERSON, id=person.id, name=person.name, sex=person.sex,
                          birth_date=person.birth_date if with_birth_date else None,
                          hukou_region_code=person.hukou_region_code,
                          residence_region_code=person.residence_region_code,
                          id_number_masked=person.id_number_masked)


def _stored_model(session: Session, province: str, parameters: rules.Parameters, records: int | None) -> rules.Model:
    """The model of the province's last run; without one, the priors of the parameters in force."""
    saved = session.scalar(select(LinkRun.model).where(LinkRun.province == province).order_by(LinkRun.id.desc()).limit(1))
    if saved is not None:
        return rules.model_from_json(json.loads(saved))
    return rules.model_from_priors(parameters, rules.prior_probability(records or 2, parameters))


def _explaining_model(session: Session, province: str, now: datetime) -> rules.Model:
    parameters, _ = parameters_at(default_store(), province, china_today(now))
    return _stored_model(session, province, parameters, None)


# ---------------------------------------------------------------- a registration


def registration_warnings(*, session: Session, cipher: FieldCipher, person_id: int, actor: str, now: datetime,
                          store: ParameterStore | None = None) -> list[dict]:
    """The existing records a new registration likely duplicates: the persons of the same name, or of the same birth
    date and sex, scored with the province's last trained model (no training here); those at or above the review
    threshold are warned about and go to the review queue (or linked, above the link threshold)."""
    person = session.get(Person, person_id)
    province = province_of(person.residence_region_code)
    parameters, _ = parameters_at(store or default_store(), province, china_today(now))
    block = session.scalars(select(Person).where(Person.id != person.id, or_(
        Person.name == person.name, and_(Person.birth_date == person.birth_date, Person.sex == person.sex)))
        .order_by(Person.id).limit(REGISTRATION_BLOCK)).all()
    if not block:
        return []
    records = _last_run_records(session, province)
    model = _stored_model(session, province, parameters, records)
    same_name = session.scalar(select(func.count()).select_from(Person).where(Person.name == person.name)) or 1
    name_frequency = same_name / max(records or 0, same_name, 1)
    levels = _levels_against(cipher, person, block)
    warnings = []
    stamp = utc_naive(now)
    for other in block:
        keys = levels[other.id]
        weight, probability = rules.score(model, keys, term_frequencies={"name": name_frequency})
        status = rules.decide(probability, parameters)
        if status is None:
            continue
        candidate = _registration_candidate(session, province, person, other, probability, weight, keys, status,
                                            actor=actor, now=stamp)
        warnings.append({
            "code": "linkage.likely_existing",
            "reason": f"可能已有此人的记录（号码「{other.id_number_masked}」，匹配概率 {probability:.0%}）：请核实是否一人多号",
            "reason_en": f"this person may already be registered (number {other.id_number_masked}, match probability "
                         f"{probability:.0%}): check for one person with several numbers",
            "candidate_id_number_masked": other.id_number_masked, "probability": round(probability, 4),
            "link_candidate_id": candidate.id, "status": status.value,
            "levels": rules.explain(keys, model)})
    if warnings:
        audit.append(session, actor=actor, action="linkage.registration_warned", subject=f"person:{person.id}", now=now,
                     candidates=[w["link_candidate_id"] for w in warnings])
    return sorted(warnings, key=lambda w: -w["probability"])


def _last_run_records(session: Session, province: str) -> int | None:
    run = session.execute(select(LinkRun.persons, LinkRun.external).where(LinkRun.province == province)
                          .order_by(LinkRun.id.desc()).limit(1)).first()
    return run.persons + run.external if run is not None else None


def _levels_against(cipher: FieldCipher, person: Person, block: Sequence[Person]) -> dict[int, tuple[str, ...]]:
    """Each existing record's level in every comparison against the new person, by the model's own SQL conditions
    (the very conditions Splink evaluates in a run), in an in-memory DuckDB."""
    import duckdb
    import pyarrow as pa

    everyone = [person, *block]
    raw = pa.table({
        "unique_id": [f"p{p.id}" for p in everyone], "kind": [PERSON] * len(everyone), "record_id": [p.id for p in everyone],
        "name": [rules.normalised_name(p.name) for p in everyone], "sex": [p.sex for p in everyone],
        "birth_date": [p.birth_date for p in everyone], "hukou": [p.hukou_region_code for p in everyone],
        "residence": [p.residence_region_code for p in everyone],
        "id_number": [_number(cipher, p.id_number_enc) for p in everyone]})
    connection = duckdb.connect()
    try:
        connection.register("raw_records", raw)
        connection.execute(f"CREATE TABLE frame AS {rules.frame_sql('raw_records')}")
        rows = connection.execute(rules.pair_levels_sql("frame", f"p{person.id}")).fetchall()
    finally:
        connection.close()
    return {int(row[0]): tuple(comparison.levels[index].key for comparison, index in zip(rules.COMPARISONS, row[1:],
                                                                                         strict=True))
            for row in rows}


def _registration_candidate(session: Session, province: str, person: Person, other: Person, probability: float,
                            weight: float, keys: tuple[str, ...], status: rules.Status, *, actor: str,
                            now: datetime) -> LinkCandidate:
    person_id, other_id = sorted((person.id, other.id))  # the person is new: no pair of theirs is recorded yet
    candidate = LinkCandidate(province=province, run_id=None, person_id=person_id, other_kind=PERSON, other_id=other_id,
                              match_probability=probability, match_weight=weight, levels=json.dumps(list(keys)),
                              status=status.value, found_by=actor, found_at=now)
    session.add(candidate)
    session.flush()
    if status == rules.Status.LINKED:
        session.add(_link(candidate, method="automatic", by=actor, at=now))
        session.flush()
    return candidate
