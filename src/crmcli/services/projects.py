"""合作项目 (seed 000 第十三条 意向客户转化流程, 第十四条 项目成功率; seed 002 四 客户合作项目
管理; seed 003 第七条 合同管理).

A project moves forward only: evaluation 项目评估 → negotiation 合作洽谈 → contract 签订合同
→ implementation 项目实施 → completed 完成, skipping stages if need be; lost 失败 (with a
reason) from any open stage. Only ``reopen`` (with a reason) goes back: a lost or
completed project returns to the stage it had before. Every move is a ``projectstage``
row with who and when, so the days spent in each stage can be counted
(``stage_durations``).

立项审批 (seed 002 四.1): with ``project.approval_required`` a project must be approved
before it reaches the contract. The first project of a prospect to reach the contract
makes it a customer (成交), through the same service as ``crm stage set``.

An open project whose expected close day has passed is late: it is a reason in
``crm overdue`` (rule ``project``) and a section of ``crm remind``. Never stored: read
through the index on (stage, expected_on).

Documents (四.3 项目文档管理) are copied into an archive folder under their sha256, never
into the database, so a moved or edited original does not break the record.
"""

from __future__ import annotations

import hashlib
import os
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import case, func, select

from crmcli import enums, history, phrases, schema
from crmcli.config import Config
from crmcli.enums import TERMINAL_STAGES
from crmcli.errors import InvalidInput, NotFound, StorageError
from crmcli.i18n import N_, Catalogue, _, label
from crmcli.services.context import Actor
from crmcli.sqlfuncs import days_between, to_date
from crmcli.text.bounds import looks_like_id, record_id

STAGES = ("evaluation", "negotiation", "contract", "implementation", "completed")
OPEN_STAGES = STAGES[:-1]
CLOSED_STAGES = enums.PROJECT_CLOSED_STAGES
# Where approval (立项审批) is needed from, and where a prospect becomes a customer.
CONTRACT = STAGES.index("contract")
PROMOTED_STAGES = ("lead", "target", "qualified")

# Stays English in JSON; shown through the catalogue (success_text).
SUCCESS_DEFINITION = N_("completed ÷ (completed + lost)")
LATE_REASON = N_("project #{id} {name} expected {expected}")

MESSAGES = Catalogue(
    {
        "already": N_("project #{id} is already {stage}"),
        "closed": N_(
            "project #{id} is {stage}: reopen it first (crm project reopen {id} --reason …)"
        ),
        "backwards": N_(
            "project #{id} is in {current}: stages move forward only ({stage} comes before it)"
        ),
        "lost_reason": N_("moving project #{id} to lost needs --reason: why it failed (失败原因)"),
        "approval": N_(
            "project #{id} is not approved (立项审批): approve it before it moves to {stage} "
            "(crm project approve {id})"
        ),
        "reopen_open": N_("project #{id} is {stage}, not lost or completed: nothing to reopen"),
        "reopen_reason": N_("reopening project #{id} needs --reason"),
        "approved": N_("project #{id} was already approved by {by} on {at}"),
        "before_added": N_("{at} is before project #{id} was added ({added})"),
        "before_last": N_("{at} is before the last stage move of project #{id} ({last})"),
        "future": N_("{at} is in the future"),
        "expected_before": N_("--expected {expected} is before the project was added ({added})"),
        "name": N_("a project needs a name"),
        "other_customer": N_("project #{id} belongs to {code} {name}, not to this customer"),
        "no_archive": N_(
            "documents are archived in a folder, never in the database: on a database server "
            "set one first with `crm config set project.archive_dir /path/to/archive`"
        ),
        "no_file": N_("no file {path}"),
        "is_dir": N_("{path} is a directory, not a document"),
        "unreadable": N_("cannot read {path}: {reason}"),
        "permission": N_("permission denied"),
        "duplicate": N_("project #{id} already has a document named {name} (added {at})"),
        "no_doc": N_("project #{id} has no document {name!r}"),
        "missing": N_("project #{id} {name}: archived copy {path} is missing"),
        "changed": N_(
            "project #{id} {name}: archived copy {path} has changed "
            "(sha256 {actual}, recorded {recorded})"
        ),
        "exists": N_("{path} exists; add --force to overwrite it"),
    }
)
# The fields of MESSAGES that hold a project stage: its label in Chinese.
_STAGE_FIELDS = ("stage", "current")


def _say(key: str, **fields: Any) -> str:
    """A message of MESSAGES in the interface language, its stages by their labels."""
    for name in _STAGE_FIELDS:
        if name in fields:
            fields[name] = label(enums.PROJECT_STAGE, fields[name])
    return MESSAGES[key].format(**fields)


def _minute(at: datetime) -> str:
    return f"{at:%Y-%m-%d %H:%M}"


# --- records ---------------------------------------------------------------------------------


def get_project(session: Any, ref: str) -> Any:
    from crmcli.models import Project

    text = ref.strip().lstrip("#")
    if not looks_like_id(text):
        raise InvalidInput(_("project id must be a number, not {ref!r}").format(ref=ref))
    number = record_id(text)
    found = session.get(Project, number) if number is not None else None
    if found is None:
        raise NotFound(_("no project #{text}").format(text=text))
    return found


def project_of_customer(session: Any, customer: Any, ref: str) -> Any:
    """The project a follow-up of ``customer`` belongs to (``crm log --project``)."""
    project = get_project(session, ref)
    if project.customer_id != customer.id:
        from crmcli.models import Customer

        other = session.get(Customer, project.customer_id)
        raise InvalidInput(_say("other_customer", id=project.id, code=other.code, name=other.name))
    return project


def parse_project_amount(text: str) -> int:
    """An amount in yuan → cents, read as imports read one (0 allowed, never negative)."""
    from crmcli.io.values import parse_project_cents

    return parse_project_cents(text)


def parse_likelihood(text: str) -> int:
    from crmcli.text.fields import _likelihood

    return _likelihood(text)


def _check_time(project: Any, at: datetime, actor: Actor, last: datetime | None) -> None:
    from crmcli.dates import now_in

    if at.date() < project.added_on:
        raise InvalidInput(
            _say("before_added", at=_minute(at), id=project.id, added=project.added_on)
        )
    if last is not None and at < last:
        raise InvalidInput(_say("before_last", at=_minute(at), id=project.id, last=_minute(last)))
    if at.date() > actor.today or at > now_in(actor.config.timezone):
        raise InvalidInput(_say("future", at=_minute(at)))


def _last_move(session: Any, project_id: int) -> Any:
    s = schema.projectstage.c
    return session.execute(
        select(s.at, s.stage, s.from_stage)
        .where(s.project_id == project_id)
        .order_by(s.at.desc(), s.id.desc())
        .limit(1)
    ).first()


def _add_move(
    session: Any, actor: Actor, project: Any, stage: str, old: str | None, at: datetime, note: Any
) -> None:
    from crmcli.models import ProjectStage

    session.add(
        ProjectStage(
            project_id=project.id, stage=stage, from_stage=old, at=at, by=actor.user, note=note
        )
    )


def add_project(
    session: Any,
    actor: Actor,
    customer: Any,
    *,
    name: str,
    at: datetime,
    amount_cents: int | None = None,
    expected_on: date | None = None,
    owner: str | None = None,
    lead: str | None = None,
    product: str | None = None,
    likelihood: int | None = None,
) -> Any:
    from crmcli.models import Project

    name = name.strip()
    if not name:
        raise InvalidInput(_say("name"))
    added_on = at.date()
    if expected_on is not None and expected_on < added_on:
        raise InvalidInput(_say("expected_before", expected=expected_on, added=added_on))
    project = Project(
        customer_id=customer.id,
        name=name,
        stage="evaluation",
        amount_cents=amount_cents,
        likelihood=likelihood,
        product=(product or "").strip() or None,
        added_on=added_on,
        expected_on=expected_on,
        owner=(owner or "").strip() or customer.owner or actor.user,
        lead=(lead or "").strip() or customer.project_lead,
        created_by=actor.user,
    )
    _check_time(project, at, actor, None)
    session.add(project)
    session.flush()
    _add_move(session, actor, project, "evaluation", None, at, None)
    history.record(
        session,
        actor,
        [history.project_added(customer.id, project.id, name, amount_cents)],
    )
    return project


def move(
    session: Any,
    actor: Actor,
    project: Any,
    stage: str,
    *,
    at: datetime,
    note: str | None = None,
) -> list[str]:
    """Move a project to a later stage (or to lost); returns what else it did."""
    current = project.stage
    note = (note or "").strip() or None
    if stage == current:
        raise InvalidInput(_say("already", id=project.id, stage=stage))
    if current in CLOSED_STAGES:
        raise InvalidInput(_say("closed", id=project.id, stage=current))
    if stage == "lost":
        if not note:
            raise InvalidInput(_say("lost_reason", id=project.id))
    elif STAGES.index(stage) < STAGES.index(current):
        raise InvalidInput(_say("backwards", id=project.id, current=current, stage=stage))
    elif (
        STAGES.index(stage) >= CONTRACT
        and project.approved_at is None
        and actor.config.get("project.approval_required")
    ):
        raise InvalidInput(_say("approval", id=project.id, stage=stage))
    last = _last_move(session, project.id)
    _check_time(project, at, actor, None if last is None else last.at)
    project.stage = stage
    if stage in CLOSED_STAGES:
        project.closed_on = at.date()
    if stage == "lost":
        project.lost_reason = note
    _add_move(session, actor, project, stage, current, at, note)
    session.add(project)
    session.flush()
    history.record(
        session,
        actor,
        [history.project_stage(project.customer_id, project.id, current, stage, note)],
    )
    done: list[str] = []
    if stage != "lost" and STAGES.index(stage) >= CONTRACT:
        done += _promote(session, actor, project, stage)
    return done


def promotion_reason(project_id: int, name: str, stage: str) -> str:
    """Why a customer's stage moved to 成交: its project reached the contract."""
    return phrases.PROMOTED(id=project_id, name=name, stage=stage)


def _promote(session: Any, actor: Actor, project: Any, stage: str) -> list[str]:
    """A prospect whose project reaches the contract is a customer (成交) now."""
    from crmcli.models import Customer
    from crmcli.services.customers import apply_changes

    customer = session.get(Customer, project.customer_id)
    if customer.stage not in PROMOTED_STAGES:
        return []
    reason = promotion_reason(project.id, project.name, stage)
    changes = apply_changes(session, actor, customer, {"stage": "customer"}, reason)
    return [
        _("{code} {name} stage: {old} → {new}").format(
            code=customer.code,
            name=customer.name,
            old=label(enums.STAGE, old),
            new=label(enums.STAGE, new),
        )
        for _f, old, new in changes
    ]


def reopen(session: Any, actor: Actor, project: Any, *, at: datetime, reason: str | None) -> str:
    """A lost or completed project back to the stage it had before; returns that stage."""
    current = project.stage
    if current not in CLOSED_STAGES:
        raise InvalidInput(_say("reopen_open", id=project.id, stage=current))
    reason = (reason or "").strip() or None
    if not reason:
        raise InvalidInput(_say("reopen_reason", id=project.id))
    last = _last_move(session, project.id)
    _check_time(project, at, actor, last.at)
    back = last.from_stage or "evaluation"
    project.stage = back
    project.closed_on = None
    project.lost_reason = None
    _add_move(session, actor, project, back, current, at, reason)
    session.add(project)
    session.flush()
    history.record(
        session,
        actor,
        [history.project_stage(project.customer_id, project.id, current, back, reason)],
    )
    return back


def approve(session: Any, actor: Actor, project: Any, *, by: str | None, at: datetime) -> None:
    """立项审批: who approved the project, and when."""
    if project.approved_at is not None:
        raise InvalidInput(
            _say("approved", id=project.id, by=project.approved_by, at=_minute(project.approved_at))
        )
    _check_time(project, at, actor, None)
    project.approved_by = (by or "").strip() or actor.user
    project.approved_at = at
    session.add(project)
    session.flush()
    history.record(
        session,
        actor,
        [history.project_approved(project.customer_id, project.id, project.approved_by)],
    )


# --- reading ----------------------------------------------------------------------------------


@dataclass(slots=True)
class Listed:
    id: int
    customer_id: int
    code: str
    customer_name: str
    name: str
    stage: str
    amount_cents: int | None
    currency: str
    likelihood: int | None
    product: str | None
    added_on: date
    expected_on: date | None
    closed_on: date | None
    owner: str | None
    lead: str | None
    approved_at: datetime | None
    approved_by: str | None
    lost_reason: str | None
    days_late: int | None  # an open project past its expected close: how many days

    @property
    def late(self) -> bool:
        return self.days_late is not None

    def as_dict(self) -> dict[str, Any]:
        from crmcli.services.sales import cents_to_decimal

        return {
            "id": self.id,
            "customer_id": self.customer_id,
            "code": self.code,
            "customer_name": self.customer_name,
            "name": self.name,
            "stage": self.stage,
            "amount": None if self.amount_cents is None else cents_to_decimal(self.amount_cents),
            "currency": self.currency,
            "likelihood": self.likelihood,
            "product": self.product,
            "added_on": self.added_on,
            "expected_on": self.expected_on,
            "closed_on": self.closed_on,
            "owner": self.owner,
            "lead": self.lead,
            "approved": self.approved_at is not None,
            "approved_by": self.approved_by,
            "approved_at": self.approved_at,
            "lost_reason": self.lost_reason,
            "late": self.late,
            "days_late": self.days_late,
        }


def _listing() -> Any:
    p, c = schema.project.c, schema.customer.c
    return select(
        p.id,
        p.customer_id,
        c.code,
        c.name.label("customer_name"),
        p.name,
        p.stage,
        p.amount_cents,
        p.currency,
        p.likelihood,
        p.product,
        p.added_on,
        p.expected_on,
        p.closed_on,
        p.owner,
        p.lead,
        p.approved_at,
        p.approved_by,
        p.lost_reason,
    ).join(schema.customer, c.id == p.customer_id)


def _days_late(stage: str, expected_on: date | None, as_of: date) -> int | None:
    if stage in OPEN_STAGES and expected_on is not None and expected_on < as_of:
        return (as_of - expected_on).days
    return None


def list_projects(
    bind: Any,
    as_of: date,
    *,
    stage: str | None = None,
    owner: str | None = None,
    open_only: bool = False,
    late: bool = False,
    customer_id: int | None = None,
    project_id: int | None = None,
) -> list[Listed]:
    """Projects in the order they were added; late ones (``late``) most days late first."""
    p = schema.project.c
    query = _listing()
    if stage:
        query = query.where(p.stage == stage)
    if owner:
        query = query.where(p.owner == owner)
    if open_only or late:
        query = query.where(p.stage.in_(OPEN_STAGES))
    if late:
        query = query.where(p.expected_on < as_of).order_by(p.expected_on, p.id)
    else:
        query = query.order_by(p.id)
    if customer_id is not None:
        query = query.where(p.customer_id == customer_id)
    if project_id is not None:
        query = query.where(p.id == project_id)
    return [
        Listed(**row._mapping, days_late=_days_late(row.stage, row.expected_on, as_of))
        for row in bind.execute(query)
    ]


def success_rate(
    bind: Any, *, owner: str | None = None, customer_id: int | None = None
) -> dict[str, Any]:
    """项目成功率 (seed 000 第十四条) = completed ÷ (completed + lost), with its definition."""
    p = schema.project.c
    query = select(p.stage, func.count()).where(p.stage.in_(CLOSED_STAGES)).group_by(p.stage)
    if owner:
        query = query.where(p.owner == owner)
    if customer_id is not None:
        query = query.where(p.customer_id == customer_id)
    counts = dict(bind.execute(query).all())
    completed, lost = int(counts.get("completed", 0)), int(counts.get("lost", 0))
    closed = completed + lost
    return {
        "value": round(completed / closed, 4) if closed else None,
        "definition": SUCCESS_DEFINITION,
        "completed": completed,
        "lost": lost,
    }


def success_text(rate: dict[str, Any]) -> str:
    """The rate as a person reads it, always with its definition."""
    closed = rate["completed"] + rate["lost"]
    shown = "—" if rate["value"] is None else f"{rate['value'] * 100:.1f}%"
    return _(
        "project success rate 项目成功率 {shown} = {definition} = {completed} ÷ {closed}"
    ).format(
        shown=shown, definition=_(rate["definition"]), completed=rate["completed"], closed=closed
    )


def _moves(as_of: date, projects: Any = None) -> Any:
    """Every stage move with the days spent in its stage (``days``): from the day it was
    entered to the day the next move was (calendar days; the stage a project is in
    counts up to ``as_of``). Lost and completed are ends, not stages one spends time
    in: NULL. ``projects``: the ids of the projects (a list or a query; default all)."""
    s = schema.projectstage.c
    entered = to_date(s.at)
    following = func.lead(entered).over(partition_by=s.project_id, order_by=(s.at, s.id))
    kept = (s.id, s.project_id, s.stage, s.from_stage, s.at, s.by, s.note)
    moves = select(*kept, entered.label("entered"), following.label("next_on"))
    if projects is not None:
        moves = moves.where(s.project_id.in_(projects))
    m = moves.subquery("moves")
    spent = days_between(func.coalesce(m.c.next_on, as_of), m.c.entered)
    days = case((m.c.stage.in_(CLOSED_STAGES), None), (spent > 0, spent), else_=0)
    return select(*(m.c[c.name] for c in kept), days.label("days")).subquery("spent")


def stages_of(bind: Any, project_id: int, as_of: date) -> list[Any]:
    """The project's stage moves in order, each with its ``days`` (``_moves``)."""
    m = _moves(as_of, [project_id])
    return bind.execute(
        select(m.c.stage, m.c.from_stage, m.c.at, m.c.by, m.c.note, m.c.days).order_by(
            m.c.at, m.c.id
        )
    ).all()


def stage_days(as_of: date, projects: Any = None) -> Any:
    """Days spent in each stage, per project (``project_id``, ``stage``, ``days``): a stage
    entered twice (after a reopening) adds up; the ends (lost, completed) are left out."""
    m = _moves(as_of, projects)
    return (
        select(m.c.project_id, m.c.stage, func.sum(m.c.days).label("days"))
        .where(m.c.days.is_not(None))
        .group_by(m.c.project_id, m.c.stage)
    )


def stage_durations(
    bind: Any, as_of: date, project_ids: Iterable[int] | None = None
) -> dict[int, dict[str, int]]:
    """``stage_days`` per project (by id), its stages in lifecycle order."""
    found: dict[int, dict[str, int]] = defaultdict(dict)
    order = {stage: i for i, stage in enumerate(STAGES)}
    rows = bind.execute(stage_days(as_of, None if project_ids is None else list(project_ids)))
    for pid, stage, days in sorted(rows, key=lambda r: (r[0], order[r[1]])):
        found[pid][stage] = int(days)
    return dict(found)


@dataclass(slots=True)
class LateProject:
    """An open project past its expected close, with what the overdue list shows of its
    customer."""

    id: int
    name: str
    stage: str
    expected_on: date
    owner: str | None
    customer_id: int
    code: str
    customer_name: str
    customer_owner: str | None
    tier: str
    customer_stage: str
    phone: str | None
    last_contact_at: datetime | None
    sort_key: str

    @property
    def reason(self) -> str:
        return LATE_REASON.format(id=self.id, name=self.name, expected=self.expected_on)


def late_projects(
    bind: Any,
    as_of: date,
    *,
    owner: str | None = None,
    customer_owner: str | None = None,
    tier: str | None = None,
) -> list[LateProject]:
    """Open projects whose expected close is before ``as_of``, most late first; the
    customers of junk or lost stage owe nothing, as everywhere."""
    p, c = schema.project.c, schema.customer.c
    query = (
        select(
            p.id,
            p.name,
            p.stage,
            p.expected_on,
            p.owner,
            c.id,
            c.code,
            c.name,
            c.owner,
            c.tier,
            c.stage,
            c.phone,
            c.last_contact_at,
            c.sort_key,
        )
        .join(schema.customer, c.id == p.customer_id)
        .where(
            p.stage.in_(OPEN_STAGES),
            p.expected_on < as_of,
            c.stage.notin_(TERMINAL_STAGES),
        )
        .order_by(p.expected_on, p.id)
    )
    if owner is not None:
        query = query.where(p.owner == owner)
    if customer_owner is not None:
        query = query.where(c.owner == customer_owner)
    if tier is not None:
        query = query.where(c.tier == tier)
    return [LateProject(*row) for row in bind.execute(query)]


def followups_of(bind: Any, project_id: int) -> list[Any]:
    f = schema.followup.c
    return bind.execute(
        select(f.id, f.at, f.channel, f.summary, f.result, f.owner)
        .where(f.project_id == project_id)
        .order_by(f.at, f.id)
    ).all()


# --- documents ----------------------------------------------------------------------------------


def archive_dir(config: Config, target: str) -> Path:
    """The archive folder: ``project.archive_dir``, else ``<db file>.archive`` beside an
    SQLite file. A server database has no file beside which to keep one: refused."""
    configured = config.get("project.archive_dir")
    if configured:
        return Path(configured).expanduser()
    from crmcli.db import sqlite_file

    path = sqlite_file(target)
    if path is None:
        raise InvalidInput(_say("no_archive"))
    return path.parent / f"{path.name}.archive"


def _chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            yield chunk


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    for chunk in _chunks(path):
        digest.update(chunk)
    return digest.hexdigest()


def check_document(path: Path) -> None:
    """Refuse what cannot be archived, before anything is written."""
    if path.is_dir():
        raise InvalidInput(_say("is_dir", path=path))
    if not path.exists():
        raise InvalidInput(_say("no_file", path=path))
    if not os.access(path, os.R_OK):
        raise InvalidInput(_say("unreadable", path=path, reason=MESSAGES["permission"]))


def _archive(source: Path, archive: Path) -> tuple[str, int]:
    """Copy a file into the archive (folder 0700, file 0600) under its sha256."""
    import tempfile

    if not archive.exists():
        archive.mkdir(parents=True, mode=0o700)
        archive.chmod(0o700)
    digest = hashlib.sha256()
    size = 0
    fd, tmp = tempfile.mkstemp(dir=archive, prefix=".incoming-")  # created 0600
    try:
        with os.fdopen(fd, "wb") as out:
            try:
                for chunk in _chunks(source):
                    digest.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
            except OSError as exc:
                raise InvalidInput(
                    _say("unreadable", path=source, reason=exc.strerror or exc)
                ) from None
            out.flush()
            os.fsync(out.fileno())
        sha = digest.hexdigest()
        final = archive / sha
        if final.exists() and file_sha256(final) == sha:
            os.unlink(tmp)  # the same content is archived already (another project's)
        else:
            os.replace(tmp, final)  # new, or repairs a copy that had changed
        final.chmod(0o600)
        return sha, size
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def add_document(
    session: Any, actor: Actor, project: Any, path: Path, *, kind: str, archive: Path
) -> Any:
    from crmcli.models import ProjectDoc

    check_document(path)
    name = path.name
    d = schema.projectdoc.c
    existing = session.execute(
        select(d.added_at).where(d.project_id == project.id, d.name == name)
    ).first()
    if existing is not None:
        raise InvalidInput(
            _say("duplicate", id=project.id, name=name, at=_minute(existing.added_at))
        )
    sha, size = _archive(path, archive)
    doc = ProjectDoc(
        project_id=project.id,
        name=name,
        kind=kind,
        sha256=sha,
        size=size,
        source=str(path.resolve()),
        added_at=actor.now,
        added_by=actor.user,
    )
    session.add(doc)
    session.flush()
    history.record(
        session,
        actor,
        [history.project_doc_added(project.customer_id, project.id, kind, name, sha)],
    )
    return doc


def documents(bind: Any, project_id: int | None = None) -> list[Any]:
    d = schema.projectdoc.c
    query = select(
        d.id, d.project_id, d.name, d.kind, d.sha256, d.size, d.source, d.added_at, d.added_by
    ).order_by(d.project_id, d.id)
    if project_id is not None:
        query = query.where(d.project_id == project_id)
    return bind.execute(query).all()


def verify_documents(
    bind: Any, archive: Path, project_id: int | None = None
) -> tuple[int, list[str]]:
    """Re-hash every archived copy: how many were checked, and one line per copy that is
    missing or no longer matches its recorded sha256."""
    problems = []
    rows = documents(bind, project_id)
    for doc in rows:
        copy = archive / doc.sha256
        if not copy.is_file():
            problems.append(_say("missing", id=doc.project_id, name=doc.name, path=copy))
            continue
        actual = file_sha256(copy)
        if actual != doc.sha256:
            problems.append(
                _say(
                    "changed",
                    id=doc.project_id,
                    name=doc.name,
                    path=copy,
                    actual=actual[:12],
                    recorded=doc.sha256[:12],
                )
            )
    return len(rows), problems


def find_document(bind: Any, project_id: int, ref: str) -> Any:
    """A document of a project by its name (contract.pdf) or its id."""
    text = ref.strip()
    for doc in documents(bind, project_id):
        if doc.name == text or doc.id == record_id(text):
            return doc
    raise NotFound(_say("no_doc", id=project_id, name=ref))


def copy_document(doc: Any, archive: Path, dest: Path, *, force: bool) -> None:
    """Write the archived copy to ``dest`` (0600), checked against its sha256 on the way:
    a missing or changed copy is a storage error and leaves ``dest`` untouched."""
    import tempfile

    if dest.is_dir():
        raise InvalidInput(_say("is_dir", path=dest))
    if dest.exists() and not force:
        raise InvalidInput(_say("exists", path=dest))
    source = archive / doc.sha256
    if not source.is_file():
        raise StorageError(_say("missing", id=doc.project_id, name=doc.name, path=source))
    parent = dest.parent if str(dest.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(dir=parent, prefix=f".{dest.name}.")
    except OSError as exc:
        raise InvalidInput(
            _("cannot write {dest}: {strerror}").format(dest=dest, strerror=exc.strerror)
        ) from None
    try:
        digest = hashlib.sha256()
        with os.fdopen(fd, "wb") as out:
            for chunk in _chunks(source):
                digest.update(chunk)
                out.write(chunk)
        if digest.hexdigest() != doc.sha256:
            raise StorageError(
                _say(
                    "changed",
                    id=doc.project_id,
                    name=doc.name,
                    path=source,
                    actual=digest.hexdigest()[:12],
                    recorded=doc.sha256[:12],
                )
            )
        os.replace(tmp, dest)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
