"""Every table (SQLModel). Imported only by code that touches the database.

Dates that the policies reason about (due days, birthdays, creation day) are local
calendar days (config ``timezone``); follow-up and plan times are local wall-clock
times as the salesperson typed them; ``created_at``/``updated_at`` are UTC.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import BigInteger, Column, DateTime, Index
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _created() -> datetime:
    return Field(default_factory=utcnow, sa_type=DateTime, nullable=False)


def _updated() -> datetime:
    return Field(
        default_factory=utcnow,
        sa_column=Column(DateTime, nullable=False, default=utcnow, onupdate=utcnow),
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


class Meta(SQLModel, table=True):
    """Small key/value facts about the database (e.g. the cadence policy it was computed with)."""

    key: str = Field(primary_key=True)
    value: str


class Customer(SQLModel, table=True):
    """客户档案 (seed 000 第六条, seed 003 客户档案)."""

    __table_args__ = (
        # The overdue list reads this index alone, in its order: every column it shows
        # is in the entry, so no customer row is read (migration 0005).
        Index("ix_customer_overdue", *OVERDUE_COLUMNS),
        Index("ix_customer_owner_due", "owner", "next_due_at"),
        Index("ix_customer_tier_due", "tier", "next_due_at"),
        Index("ix_customer_birth", "birthday_lunar", "birth_md"),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, index=True)
    name: str
    # Derived on write: NFKC/case/space-folded name for exact matching and duplicates,
    # pinyin for sorting (按客户名称的字母次序) and pinyin search.
    name_key: str = Field(index=True)
    sort_key: str = Field(index=True)
    search_key: str = ""
    kind: str = "company"
    contact_name: str | None = None
    phone: str | None = Field(default=None, index=True)
    email: str | None = None
    address: str | None = None
    region: str | None = None
    industry: str | None = None
    scale: str | None = None
    need: str | None = None
    needs_note: str | None = None
    main_business: str | None = None
    budget: str | None = None
    source: str | None = None
    channel: str | None = None
    stage: str = Field(default="lead", index=True)
    tier: str = Field(default="potential")
    tier_locked: bool = False
    grade: str | None = None
    value: str | None = None
    potential: str | None = None
    likelihood: int | None = None
    cooperation_plan: str | None = None
    owner: str | None = None
    intake_by: str | None = None
    project_lead: str | None = None
    # "YYYY-MM-DD" or "MM-DD" (year unknown); lunar (农历) month/day when birthday_lunar,
    # in the leap month when birthday_leap. Text, because 农历二月三十 is no Gregorian date.
    birthday: str | None = None
    birthday_lunar: bool = False
    birthday_leap: bool = False
    # "MM-DD" of the birthday (lunar month-day when lunar), indexed so the birthdays of a
    # day are found without reading every row.
    birth_md: str | None = None
    tags: str | None = None
    notes: str | None = None
    created_on: date
    # Kept current by services.cadence.refresh_due on every write that affects them.
    last_contact_at: datetime | None = Field(default=None, index=True, sa_type=DateTime)
    contact_due_on: date | None = None
    visit_due_on: date | None = None
    callback_due_on: date | None = None
    plan_due_on: date | None = None
    next_due_at: date | None = None
    created_at: datetime = _created()
    updated_at: datetime = _updated()


class Contact(SQLModel, table=True):
    """联系人 and the personal details of seed 003 数据资料库."""

    __table_args__ = (Index("ix_contact_birth", "birthday_lunar", "birth_md"),)

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True, ondelete="CASCADE")
    name: str
    title: str | None = None
    phone: str | None = None
    email: str | None = None
    gender: str | None = None
    # "YYYY-MM-DD" or "MM-DD" (year unknown); lunar (农历) month/day when birthday_lunar,
    # in the leap month when birthday_leap. Text, because 农历二月三十 is no Gregorian date.
    birthday: str | None = None
    birthday_lunar: bool = False
    birthday_leap: bool = False
    # "MM-DD" of the birthday (lunar month-day when lunar), indexed so the birthdays of a
    # day are found without reading every row.
    birth_md: str | None = None
    notes: str | None = None
    created_at: datetime = _created()
    updated_at: datetime = _updated()


class FollowUp(SQLModel, table=True):
    """跟进记录 (seed 000 第十一条)."""

    __table_args__ = (
        Index("ix_followup_customer_channel_at", "customer_id", "channel", "at"),
        Index("ix_followup_owner_at", "owner", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", ondelete="CASCADE")
    contact_id: int | None = Field(default=None, foreign_key="contact.id", ondelete="SET NULL")
    at: datetime = Field(sa_type=DateTime)
    channel: str
    summary: str
    result: str | None = None
    owner: str | None = None
    created_at: datetime = _created()
    updated_at: datetime = _updated()


class Plan(SQLModel, table=True):
    """跟进计划: a promised next step; done by a follow-up."""

    __table_args__ = (
        Index("ix_plan_customer_status_due", "customer_id", "status", "due_on"),
        Index("ix_plan_status_due", "status", "due_on"),
        Index("ix_plan_owner_status_due", "owner", "status", "due_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", ondelete="CASCADE")
    due_on: date
    due_time: str | None = None
    channel: str = "phone"
    content: str
    owner: str | None = None
    status: str = "open"
    followup_id: int | None = Field(default=None, foreign_key="followup.id", ondelete="SET NULL")
    closed_at: datetime | None = Field(default=None, sa_type=DateTime)
    created_at: datetime = _created()
    updated_at: datetime = _updated()


class History(SQLModel, table=True):
    """变动历史 (seed 000 第七条 可追溯性): one row per changed field."""

    __table_args__ = (
        Index("ix_history_customer_at", "customer_id", "at"),
        Index("ix_history_field_on", "field", "on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int | None = Field(default=None, foreign_key="customer.id", ondelete="CASCADE")
    at: datetime = Field(default_factory=utcnow, sa_type=DateTime)
    # The business day the change took effect (the command's --as-of day, else today in
    # the configured zone): past duties follow the stage and owner of their day.
    on: date | None = None
    user: str
    field: str
    old: str | None = None
    new: str | None = None
    command: str
    reason: str | None = None


class Sale(SQLModel, table=True):
    """购买记录: one order (positive) or refund (negative), in cents so sums are exact."""

    __table_args__ = (
        Index("ix_sale_customer_on", "customer_id", "sold_on"),
        Index("ix_sale_on_customer", "sold_on", "customer_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", ondelete="CASCADE")
    sold_on: date
    amount_cents: int = Field(sa_type=BigInteger)
    currency: str = "CNY"
    product: str | None = None
    note: str | None = None
    created_at: datetime = _created()
    updated_at: datetime = _updated()


class Greeting(SQLModel, table=True):
    """问候 sent (seed 003 三): one row per customer (or contact) per occasion and day."""

    __table_args__ = (
        Index("ix_greeting_on_occasion", "on", "occasion"),
        Index("ux_greeting", "customer_id", "contact_id", "occasion", "on", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", ondelete="CASCADE")
    contact_id: int | None = Field(default=None, foreign_key="contact.id", ondelete="CASCADE")
    occasion: str
    kind: str  # holiday | solar_term | birthday
    on: date
    sent_at: datetime = Field(sa_type=DateTime)
    channel: str | None = None
    sent_by: str | None = None
    created_at: datetime = _created()
    updated_at: datetime = _updated()


class Campaign(SQLModel, table=True):
    """营销活动/答谢会 that the customers of some stages must be told about (seed 003)."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, index=True)
    on: date
    stages: str  # comma-separated stage values
    created_by: str | None = None
    created_at: datetime = _created()
    updated_at: datetime = _updated()


class CampaignNotice(SQLModel, table=True):
    """That a customer was told about (invited to) a campaign."""

    __table_args__ = (Index("ux_campaign_notice", "campaign_id", "customer_id", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", ondelete="CASCADE")
    customer_id: int = Field(foreign_key="customer.id", ondelete="CASCADE", index=True)
    notified_at: datetime = Field(sa_type=DateTime)
    channel: str | None = None
    notified_by: str | None = None
    created_at: datetime = _created()
    updated_at: datetime = _updated()


class ImportBatch(SQLModel, table=True):
    """One run of ``crm import``: what file, when, who, and what it did (SPEC §4)."""

    id: int | None = Field(default=None, primary_key=True)
    kind: str  # customers | contacts | followups | sales
    source: str
    encoding: str | None = None
    delimiter: str | None = None
    at: datetime = Field(default_factory=utcnow, sa_type=DateTime)
    user: str
    added: int = 0
    updated: int = 0
    skipped: int = 0
    rejected: int = 0
    undone_at: datetime | None = Field(default=None, sa_type=DateTime)
    undone_by: str | None = None


class ImportItem(SQLModel, table=True):
    """A row an import added or updated; ``before`` (JSON) restores an update on undo."""

    __table_args__ = (Index("ix_import_item_row", "table_name", "row_id"),)

    id: int | None = Field(default=None, primary_key=True)
    batch_id: int = Field(foreign_key="importbatch.id", ondelete="CASCADE", index=True)
    table_name: str
    row_id: int
    action: str  # added | updated
    before: str | None = None
