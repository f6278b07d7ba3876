"""Every table, defined once, as SQLAlchemy Core.

Queries, set-based writes, the SQLModel classes of ``crmcli.models`` (built on these
very ``Table`` objects) and Alembic's ``target_metadata`` all use this one definition;
``tests/test_migrations.py`` checks that the migrations build exactly it. The module
imports SQLAlchemy Core only, so the reading commands (``crm overdue``, ``crm remind``)
never pay for SQLModel or the ORM.

Dates that the policies reason about (due days, birthdays, creation day) are local
calendar days (config ``timezone``); follow-up and plan times are local wall-clock times
as the salesperson typed them; ``created_at``/``updated_at`` are UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
)


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


metadata = MetaData()

# Text that lists are ordered by (codes, pinyin sort keys, owners) compares byte by
# byte on every engine: SQLite's default, and on PostgreSQL the "C" collation, never
# the server's locale (which would, e.g., ignore the spaces of a pinyin key).
ORDERED = String().with_variant(String(collation="C"), "postgresql")


def _id() -> Column[int]:
    return Column("id", Integer, primary_key=True)


def _stamps() -> tuple[Column[datetime], Column[datetime]]:
    return (
        Column("created_at", DateTime, nullable=False, default=utcnow),
        Column("updated_at", DateTime, nullable=False, default=utcnow, onupdate=utcnow),
    )


def _text(name: str, **kw: object) -> Column[str]:
    kw.setdefault("nullable", True)
    return Column(name, String, **kw)  # type: ignore[arg-type]


def _owned_by(table: str, *, null: str | None = None) -> Column[int]:
    """A foreign key to ``table.id``; its rows go with the row they belong to."""
    return Column(
        f"{table}_id",
        Integer,
        ForeignKey(f"{table}.id", ondelete=null or "CASCADE"),
        nullable=null is not None,
    )


def _birthday() -> tuple[Column[Any], ...]:
    return (
        # "YYYY-MM-DD" or "MM-DD" (year unknown); lunar (农历) month/day when
        # birthday_lunar, in the leap month when birthday_leap. Text, because 农历二月三十
        # is no Gregorian date.
        _text("birthday"),
        Column("birthday_lunar", Boolean, nullable=False, default=False),
        Column("birthday_leap", Boolean, nullable=False, default=False),
        # "MM-DD" of the birthday (lunar month-day when lunar), indexed so the birthdays
        # of a day are found without reading every row.
        _text("birth_md"),
    )


# The overdue list's index: its order (next due day, name, id), then what it shows.
OVERDUE_COLUMNS = (
    "next_due_at",
    "sort_key",
    "id",
    "code",
    "name",
    "tier",
    "stage",
    "owner",
    "phone",
    "created_on",
    "last_contact_at",
    "contact_due_on",
    "visit_due_on",
    "callback_due_on",
    "plan_due_on",
)

# Small key/value facts about the database (e.g. the cadence policy it was computed with).
meta = Table(
    "meta",
    metadata,
    Column("key", String, primary_key=True),
    Column("value", String, nullable=False),
)

# 客户档案 (seed 000 第六条, seed 003 客户档案).
customer = Table(
    "customer",
    metadata,
    _id(),
    Column("code", ORDERED, nullable=False, unique=True, index=True),
    Column("name", String, nullable=False),
    # Derived on write: NFKC/case/space-folded name for exact matching and duplicates,
    # pinyin for sorting (按客户名称的字母次序) and pinyin search.
    Column("name_key", String, nullable=False, index=True),
    Column("sort_key", ORDERED, nullable=False, index=True),
    Column("search_key", String, nullable=False, default=""),
    Column("kind", String, nullable=False, default="company"),
    _text("contact_name"),
    _text("phone", index=True),
    _text("email"),
    _text("address"),
    _text("region"),
    _text("industry"),
    _text("scale"),
    _text("need"),
    _text("needs_note"),
    _text("main_business"),
    _text("budget"),
    _text("source"),
    _text("channel"),
    Column("stage", String, nullable=False, default="lead", index=True),
    Column("tier", String, nullable=False, default="potential"),
    Column("tier_locked", Boolean, nullable=False, default=False),
    _text("grade"),
    _text("value"),
    _text("potential"),
    Column("likelihood", Integer),
    _text("cooperation_plan"),
    Column("owner", ORDERED),
    _text("intake_by"),
    _text("project_lead"),
    *_birthday(),
    _text("tags"),
    _text("notes"),
    Column("created_on", Date, nullable=False),
    # Derived: kept current by services.cadence.refresh_due after every write that
    # can move them; the overdue list and the digest read them through indexes.
    Column("last_contact_at", DateTime, index=True),
    Column("contact_due_on", Date),
    Column("visit_due_on", Date),
    Column("callback_due_on", Date),
    Column("plan_due_on", Date),
    Column("next_due_at", Date),
    *_stamps(),
    # The overdue list reads this index alone, in its order: every column it shows is
    # in the entry, so no customer row is read (migration 0005).
    Index("ix_customer_overdue", *OVERDUE_COLUMNS),
    Index("ix_customer_owner_due", "owner", "next_due_at"),
    Index("ix_customer_tier_due", "tier", "next_due_at"),
    Index("ix_customer_birth", "birthday_lunar", "birth_md"),
)

# 联系人 and the personal details of seed 003 数据资料库.
contact = Table(
    "contact",
    metadata,
    _id(),
    _owned_by("customer"),
    Column("name", String, nullable=False),
    _text("title"),
    _text("phone"),
    _text("email"),
    _text("gender"),
    *_birthday(),
    _text("notes"),
    *_stamps(),
    Index("ix_contact_customer_id", "customer_id"),
    Index("ix_contact_birth", "birthday_lunar", "birth_md"),
)

# 跟进记录 (seed 000 第十一条).
followup = Table(
    "followup",
    metadata,
    _id(),
    _owned_by("customer"),
    _owned_by("contact", null="SET NULL"),
    Column("at", DateTime, nullable=False),
    Column("channel", String, nullable=False),
    Column("summary", String, nullable=False),
    _text("result"),
    _text("owner"),
    # The 合作项目 it belongs to, if any (migration 0009); a deleted project leaves it.
    Column("project_id", Integer, ForeignKey("project.id", ondelete="SET NULL")),
    *_stamps(),
    Index("ix_followup_customer_channel_at", "customer_id", "channel", "at"),
    Index("ix_followup_owner_at", "owner", "at"),
    # Covering: the reports count a period's follow-ups by owner, channel and month.
    Index("ix_followup_at_owner_channel", "at", "owner", "channel"),
    Index("ix_followup_project_at", "project_id", "at"),
)

# 跟进计划: a promised next step; done by a follow-up.
plan = Table(
    "plan",
    metadata,
    _id(),
    _owned_by("customer"),
    Column("due_on", Date, nullable=False),
    _text("due_time"),
    Column("channel", String, nullable=False, default="phone"),
    Column("content", String, nullable=False),
    _text("owner"),
    Column("status", String, nullable=False, default="open"),
    _owned_by("followup", null="SET NULL"),
    Column("closed_at", DateTime),
    *_stamps(),
    Index("ix_plan_customer_status_due", "customer_id", "status", "due_on"),
    Index("ix_plan_status_due", "status", "due_on"),
    Index("ix_plan_owner_status_due", "owner", "status", "due_on"),
)

# 变动历史 (seed 000 第七条 可追溯性): one row per changed field, written by
# crmcli.history alone.
history = Table(
    "history",
    metadata,
    _id(),
    Column("customer_id", Integer, ForeignKey("customer.id", ondelete="CASCADE")),
    Column("at", DateTime, nullable=False, default=utcnow),
    # The business day the change took effect (the command's --as-of day, else today in
    # the configured zone): past duties follow the stage and owner of their day.
    Column("on", Date),
    Column("user", String, nullable=False),
    Column("field", String, nullable=False),
    _text("old"),
    _text("new"),
    Column("command", String, nullable=False),
    _text("reason"),
    Index("ix_history_customer_at", "customer_id", "at"),
    Index("ix_history_field_on", "field", "on"),
)

# 购买记录: one order (positive) or refund (negative), in millionths of its currency so
# sums are exact, to the last digit of order lines priced below the cent (15.552).
sale = Table(
    "sale",
    metadata,
    _id(),
    _owned_by("customer"),
    Column("sold_on", Date, nullable=False),
    Column("amount_micros", BigInteger, nullable=False),
    Column("currency", String, nullable=False, default="CNY"),
    _text("product"),
    _text("note"),
    *_stamps(),
    # Covering: the reports and the grading sum amounts per currency over a window of
    # days, and per customer; both read the index alone (see 0012).
    Index("ix_sale_customer_on_amount", "customer_id", "sold_on", "currency", "amount_micros"),
    Index("ix_sale_on_customer_amount", "sold_on", "customer_id", "currency", "amount_micros"),
)

# 客户投诉 (seed 003 四): received, graded 一般/重要/重大, answered (24 h, 三.1), resolved,
# and closed once the result was fed back to the customer (反馈). The SLA state is never
# stored: services.complaints computes it from these times and the steps.
complaint = Table(
    "complaint",
    metadata,
    _id(),
    _owned_by("customer"),
    Column("received_at", DateTime, nullable=False),
    Column("severity", String, nullable=False),  # general | important | major
    Column("summary", String, nullable=False),
    _text("channel"),
    _text("handler"),
    Column("status", String, nullable=False, default="open"),
    # open → responded → resolved → closed
    Column("responded_at", DateTime),
    Column("resolved_at", DateTime),
    Column("closed_at", DateTime),
    # The resolution target counts from receipt, or from the last reopening.
    Column("reopened_at", DateTime),
    # Since when the complaint waits on the customer (its clocks stand still); NULL: not.
    Column("waiting_since", DateTime),
    _text("resolution"),
    _text("feedback"),
    Column("satisfied", Boolean),
    _text("opened_by"),
    *_stamps(),
    Index("ix_complaint_customer_received", "customer_id", "received_at"),
    Index("ix_complaint_status_received", "status", "received_at"),
    Index("ix_complaint_handler_status", "handler", "status"),
)

# Every step of a complaint, in order: the timeline ``complaint show`` prints and the
# pauses (waiting → resumed) the SLA clocks skip.
complaintstep = Table(
    "complaintstep",
    metadata,
    _id(),
    _owned_by("complaint"),
    Column("at", DateTime, nullable=False),
    # opened | responded | waiting | resumed | resolved | closed | reopened | escalated
    Column("kind", String, nullable=False),
    _text("note"),
    _text("severity"),  # the severity from this step on (opened, escalated)
    Column("by", String, nullable=False),
    Column("created_at", DateTime, nullable=False, default=utcnow),
    Index("ix_complaintstep_complaint_at", "complaint_id", "at"),
)

# 满意度调查 (seed 003 五, 第九条): at least yearly; scores 1–5 for 产品质量, 价格,
# 交货按时 and 售后服务, and overall (else their mean).
survey = Table(
    "survey",
    metadata,
    _id(),
    _owned_by("customer"),
    Column("contact_id", Integer, ForeignKey("contact.id", ondelete="SET NULL")),
    Column("on", Date, nullable=False),
    Column("method", String, nullable=False),  # questionnaire | phone | online | visit
    Column("quality", Integer, nullable=False),
    Column("price", Integer, nullable=False),
    Column("delivery", Integer, nullable=False),
    Column("service", Integer, nullable=False),
    Column("overall", Integer),
    _text("comment"),
    _text("by"),
    *_stamps(),
    Index("ix_survey_customer_on", "customer_id", "on"),
    Index("ix_survey_on", "on"),
)

# 问候 sent (seed 003 三): one row per customer (or contact) per occasion and day.
greeting = Table(
    "greeting",
    metadata,
    _id(),
    _owned_by("customer"),
    Column("contact_id", Integer, ForeignKey("contact.id", ondelete="CASCADE")),
    Column("occasion", String, nullable=False),
    Column("kind", String, nullable=False),  # holiday | solar_term | birthday
    Column("on", Date, nullable=False),
    Column("sent_at", DateTime, nullable=False),
    _text("channel"),
    _text("sent_by"),
    *_stamps(),
    Index("ix_greeting_on_occasion", "on", "occasion"),
    Index("ux_greeting", "customer_id", "contact_id", "occasion", "on", unique=True),
)

# 营销活动/答谢会 that the customers of some stages must be told about (seed 003).
campaign = Table(
    "campaign",
    metadata,
    _id(),
    Column("name", String, nullable=False, unique=True, index=True),
    Column("on", Date, nullable=False),
    Column("stages", String, nullable=False),  # comma-separated stage values
    _text("created_by"),
    # The business day it was added (--as-of): its duties are owed only from then on.
    Column("created_on", Date, nullable=False),
    *_stamps(),
)

# That a customer was told about (invited to) a campaign.
campaignnotice = Table(
    "campaignnotice",
    metadata,
    _id(),
    _owned_by("campaign"),
    Column(
        "customer_id",
        Integer,
        ForeignKey("customer.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("notified_at", DateTime, nullable=False),
    _text("channel"),
    _text("notified_by"),
    *_stamps(),
    Index("ux_campaign_notice", "campaign_id", "customer_id", unique=True),
)

# One run of ``crm import``: what file, when, who, and what it did (SPEC §4).
importbatch = Table(
    "importbatch",
    metadata,
    _id(),
    Column("kind", String, nullable=False),  # customers | contacts | followups | sales
    Column("source", String, nullable=False),
    _text("encoding"),
    _text("delimiter"),
    Column("at", DateTime, nullable=False, default=utcnow),
    Column("user", String, nullable=False),
    Column("added", Integer, nullable=False, default=0),
    Column("updated", Integer, nullable=False, default=0),
    Column("skipped", Integer, nullable=False, default=0),
    Column("rejected", Integer, nullable=False, default=0),
    Column("undone_at", DateTime),
    _text("undone_by"),
)

# A row an import added or updated; ``before`` (JSON) restores an update on undo.
importitem = Table(
    "importitem",
    metadata,
    _id(),
    Column(
        "batch_id",
        Integer,
        ForeignKey("importbatch.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("table_name", String, nullable=False),
    Column("row_id", Integer, nullable=False),
    Column("action", String, nullable=False),  # added | updated
    _text("before"),
    Index("ix_import_item_row", "table_name", "row_id"),
)

# 合作项目 (seed 000 第十三条 转化流程: 项目评估 → 合作洽谈 → 签订合同 → 项目实施; seed 002
# 四 客户合作项目管理: 立项和审批; seed 003 第七条 合同管理). The stage moves forward only;
# every move is a ``projectstage`` row. Filled by ``crm project add`` and, later, by an
# import: every column an importer needs is plain (amount in cents, ISO days, English
# stage values), and nothing is derived but ``closed_on``.
project = Table(
    "project",
    metadata,
    _id(),
    _owned_by("customer"),
    Column("name", String, nullable=False),
    # evaluation | negotiation | contract | implementation | completed | lost
    Column("stage", String, nullable=False, default="evaluation"),
    Column("amount_cents", BigInteger),
    Column("currency", String, nullable=False, default="CNY"),
    Column("likelihood", Integer),  # 合作可能性, 0–100 %
    _text("product"),
    # The business day it was added (--as-of): an expected close before it is refused.
    Column("added_on", Date, nullable=False),
    Column("expected_on", Date),  # expected close; an open project past it is late
    Column("closed_on", Date),  # the actual close: completed or lost
    Column("owner", ORDERED),  # 跟进责任人 (default the customer's owner)
    _text("lead"),  # 项目负责人 (seed 000 第十条)
    # 立项审批 (seed 002 四.1): who approved it and when; required before the contract.
    Column("approved_at", DateTime),
    _text("approved_by"),
    _text("lost_reason"),
    _text("created_by"),
    *_stamps(),
    Index("ix_project_customer", "customer_id", "stage"),
    Index("ix_project_stage_expected", "stage", "expected_on"),
    Index("ix_project_owner_stage", "owner", "stage"),
)

# Every stage a project entered, in order, with who and when: the days spent in each
# stage are counted from these rows (``services.projects.stage_durations``).
projectstage = Table(
    "projectstage",
    metadata,
    _id(),
    _owned_by("project"),
    Column("stage", String, nullable=False),
    _text("from_stage"),  # NULL for the first row (the project added)
    Column("at", DateTime, nullable=False),
    Column("by", String, nullable=False),
    _text("note"),
    Column("created_at", DateTime, nullable=False, default=utcnow),
    Index("ix_projectstage_project_at", "project_id", "at"),
)

# 项目文档管理 (seed 002 四.3: 合同、协议、报告…存档和归档): a document of a project. The file
# itself is copied into the archive folder under its sha256 and never into the database.
projectdoc = Table(
    "projectdoc",
    metadata,
    _id(),
    _owned_by("project"),
    Column("name", String, nullable=False),  # the file name as added (contract.pdf)
    Column("kind", String, nullable=False),  # contract | agreement | report | other
    Column("sha256", String, nullable=False),
    Column("size", BigInteger, nullable=False),
    _text("source"),  # the path it was added from, for the record
    Column("added_at", DateTime, nullable=False),
    Column("added_by", String, nullable=False),
    *_stamps(),
    Index("ux_projectdoc_project_name", "project_id", "name", unique=True),
    Index("ix_projectdoc_sha256", "sha256"),
)
