"""The SQLModel classes: typed records for the commands that create and edit rows.

Each class is mapped onto its table in ``crmcli.schema``, the one definition of every
column (type, nullability, default, index); a field here only gives the column its
Python type. Imported only by code that builds or edits records: the reading commands
query ``crmcli.schema`` directly and never pay for SQLModel.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from crmcli import schema


def _column(column: Column[Any]) -> Any:
    """The field of a model for one column of its table, with the table's default."""
    default = column.default
    if column.primary_key or (default is None and column.nullable):
        return Field(default=None, sa_column=column)
    if default is None:
        return Field(sa_column=column)
    if default.is_callable:
        fn = default.arg  # type: ignore[attr-defined]
        return Field(default_factory=lambda: fn(None), sa_column=column)
    return Field(default=default.arg, sa_column=column)  # type: ignore[attr-defined]


class Meta(SQLModel, table=True):
    """Small key/value facts about the database (e.g. the cadence policy it was computed with)."""

    __table__ = schema.meta

    key: str = _column(schema.meta.c.key)
    value: str = _column(schema.meta.c.value)


class Customer(SQLModel, table=True):
    """客户档案 (seed 000 第六条, seed 003 客户档案)."""

    __table__ = schema.customer

    id: int | None = _column(schema.customer.c.id)
    code: str = _column(schema.customer.c.code)
    name: str = _column(schema.customer.c.name)
    name_key: str = _column(schema.customer.c.name_key)
    sort_key: str = _column(schema.customer.c.sort_key)
    search_key: str = _column(schema.customer.c.search_key)
    kind: str = _column(schema.customer.c.kind)
    contact_name: str | None = _column(schema.customer.c.contact_name)
    phone: str | None = _column(schema.customer.c.phone)
    email: str | None = _column(schema.customer.c.email)
    address: str | None = _column(schema.customer.c.address)
    region: str | None = _column(schema.customer.c.region)
    industry: str | None = _column(schema.customer.c.industry)
    scale: str | None = _column(schema.customer.c.scale)
    need: str | None = _column(schema.customer.c.need)
    needs_note: str | None = _column(schema.customer.c.needs_note)
    main_business: str | None = _column(schema.customer.c.main_business)
    budget: str | None = _column(schema.customer.c.budget)
    source: str | None = _column(schema.customer.c.source)
    channel: str | None = _column(schema.customer.c.channel)
    stage: str = _column(schema.customer.c.stage)
    tier: str = _column(schema.customer.c.tier)
    tier_locked: bool = _column(schema.customer.c.tier_locked)
    grade: str | None = _column(schema.customer.c.grade)
    value: str | None = _column(schema.customer.c.value)
    potential: str | None = _column(schema.customer.c.potential)
    likelihood: int | None = _column(schema.customer.c.likelihood)
    cooperation_plan: str | None = _column(schema.customer.c.cooperation_plan)
    owner: str | None = _column(schema.customer.c.owner)
    intake_by: str | None = _column(schema.customer.c.intake_by)
    project_lead: str | None = _column(schema.customer.c.project_lead)
    birthday: str | None = _column(schema.customer.c.birthday)
    birthday_lunar: bool = _column(schema.customer.c.birthday_lunar)
    birthday_leap: bool = _column(schema.customer.c.birthday_leap)
    birth_md: str | None = _column(schema.customer.c.birth_md)
    tags: str | None = _column(schema.customer.c.tags)
    notes: str | None = _column(schema.customer.c.notes)
    created_on: date = _column(schema.customer.c.created_on)
    last_contact_at: datetime | None = _column(schema.customer.c.last_contact_at)
    contact_due_on: date | None = _column(schema.customer.c.contact_due_on)
    visit_due_on: date | None = _column(schema.customer.c.visit_due_on)
    callback_due_on: date | None = _column(schema.customer.c.callback_due_on)
    plan_due_on: date | None = _column(schema.customer.c.plan_due_on)
    next_due_at: date | None = _column(schema.customer.c.next_due_at)
    created_at: datetime = _column(schema.customer.c.created_at)
    updated_at: datetime = _column(schema.customer.c.updated_at)


class Contact(SQLModel, table=True):
    """联系人 and the personal details of seed 003 数据资料库."""

    __table__ = schema.contact

    id: int | None = _column(schema.contact.c.id)
    customer_id: int = _column(schema.contact.c.customer_id)
    name: str = _column(schema.contact.c.name)
    title: str | None = _column(schema.contact.c.title)
    phone: str | None = _column(schema.contact.c.phone)
    email: str | None = _column(schema.contact.c.email)
    gender: str | None = _column(schema.contact.c.gender)
    birthday: str | None = _column(schema.contact.c.birthday)
    birthday_lunar: bool = _column(schema.contact.c.birthday_lunar)
    birthday_leap: bool = _column(schema.contact.c.birthday_leap)
    birth_md: str | None = _column(schema.contact.c.birth_md)
    notes: str | None = _column(schema.contact.c.notes)
    created_at: datetime = _column(schema.contact.c.created_at)
    updated_at: datetime = _column(schema.contact.c.updated_at)


class FollowUp(SQLModel, table=True):
    """跟进记录 (seed 000 第十一条)."""

    __table__ = schema.followup

    id: int | None = _column(schema.followup.c.id)
    customer_id: int = _column(schema.followup.c.customer_id)
    contact_id: int | None = _column(schema.followup.c.contact_id)
    at: datetime = _column(schema.followup.c.at)
    channel: str = _column(schema.followup.c.channel)
    summary: str = _column(schema.followup.c.summary)
    result: str | None = _column(schema.followup.c.result)
    owner: str | None = _column(schema.followup.c.owner)
    project_id: int | None = _column(schema.followup.c.project_id)
    created_at: datetime = _column(schema.followup.c.created_at)
    updated_at: datetime = _column(schema.followup.c.updated_at)


class Plan(SQLModel, table=True):
    """跟进计划: a promised next step; done by a follow-up."""

    __table__ = schema.plan

    id: int | None = _column(schema.plan.c.id)
    customer_id: int = _column(schema.plan.c.customer_id)
    due_on: date = _column(schema.plan.c.due_on)
    due_time: str | None = _column(schema.plan.c.due_time)
    channel: str = _column(schema.plan.c.channel)
    content: str = _column(schema.plan.c.content)
    owner: str | None = _column(schema.plan.c.owner)
    status: str = _column(schema.plan.c.status)
    followup_id: int | None = _column(schema.plan.c.followup_id)
    closed_at: datetime | None = _column(schema.plan.c.closed_at)
    created_at: datetime = _column(schema.plan.c.created_at)
    updated_at: datetime = _column(schema.plan.c.updated_at)


class History(SQLModel, table=True):
    """变动历史 (seed 000 第七条 可追溯性): one row per changed field."""

    __table__ = schema.history

    id: int | None = _column(schema.history.c.id)
    customer_id: int | None = _column(schema.history.c.customer_id)
    at: datetime = _column(schema.history.c.at)
    on: date | None = _column(schema.history.c.on)
    user: str = _column(schema.history.c.user)
    field: str = _column(schema.history.c.field)
    old: str | None = _column(schema.history.c.old)
    new: str | None = _column(schema.history.c.new)
    command: str = _column(schema.history.c.command)
    reason: str | None = _column(schema.history.c.reason)


class Sale(SQLModel, table=True):
    """购买记录: one order (positive) or refund (negative), in millionths so sums are exact."""

    __table__ = schema.sale

    id: int | None = _column(schema.sale.c.id)
    customer_id: int = _column(schema.sale.c.customer_id)
    sold_on: date = _column(schema.sale.c.sold_on)
    amount_micros: int = _column(schema.sale.c.amount_micros)
    currency: str = _column(schema.sale.c.currency)
    product: str | None = _column(schema.sale.c.product)
    note: str | None = _column(schema.sale.c.note)
    created_at: datetime = _column(schema.sale.c.created_at)
    updated_at: datetime = _column(schema.sale.c.updated_at)


class Greeting(SQLModel, table=True):
    """问候 sent (seed 003 三): one row per customer (or contact) per occasion and day."""

    __table__ = schema.greeting

    id: int | None = _column(schema.greeting.c.id)
    customer_id: int = _column(schema.greeting.c.customer_id)
    contact_id: int | None = _column(schema.greeting.c.contact_id)
    occasion: str = _column(schema.greeting.c.occasion)
    kind: str = _column(schema.greeting.c.kind)
    on: date = _column(schema.greeting.c.on)
    sent_at: datetime = _column(schema.greeting.c.sent_at)
    channel: str | None = _column(schema.greeting.c.channel)
    sent_by: str | None = _column(schema.greeting.c.sent_by)
    created_at: datetime = _column(schema.greeting.c.created_at)
    updated_at: datetime = _column(schema.greeting.c.updated_at)


class Campaign(SQLModel, table=True):
    """营销活动/答谢会 that the customers of some stages must be told about (seed 003)."""

    __table__ = schema.campaign

    id: int | None = _column(schema.campaign.c.id)
    name: str = _column(schema.campaign.c.name)
    on: date = _column(schema.campaign.c.on)
    stages: str = _column(schema.campaign.c.stages)
    created_by: str | None = _column(schema.campaign.c.created_by)
    created_on: date = _column(schema.campaign.c.created_on)
    created_at: datetime = _column(schema.campaign.c.created_at)
    updated_at: datetime = _column(schema.campaign.c.updated_at)


class CampaignNotice(SQLModel, table=True):
    """That a customer was told about (invited to) a campaign."""

    __table__ = schema.campaignnotice

    id: int | None = _column(schema.campaignnotice.c.id)
    campaign_id: int = _column(schema.campaignnotice.c.campaign_id)
    customer_id: int = _column(schema.campaignnotice.c.customer_id)
    notified_at: datetime = _column(schema.campaignnotice.c.notified_at)
    channel: str | None = _column(schema.campaignnotice.c.channel)
    notified_by: str | None = _column(schema.campaignnotice.c.notified_by)
    created_at: datetime = _column(schema.campaignnotice.c.created_at)
    updated_at: datetime = _column(schema.campaignnotice.c.updated_at)


class ImportBatch(SQLModel, table=True):
    """One run of ``crm import``: what file, when, who, and what it did (SPEC §4)."""

    __table__ = schema.importbatch

    id: int | None = _column(schema.importbatch.c.id)
    kind: str = _column(schema.importbatch.c.kind)
    source: str = _column(schema.importbatch.c.source)
    encoding: str | None = _column(schema.importbatch.c.encoding)
    delimiter: str | None = _column(schema.importbatch.c.delimiter)
    at: datetime = _column(schema.importbatch.c.at)
    user: str = _column(schema.importbatch.c.user)
    added: int = _column(schema.importbatch.c.added)
    updated: int = _column(schema.importbatch.c.updated)
    skipped: int = _column(schema.importbatch.c.skipped)
    rejected: int = _column(schema.importbatch.c.rejected)
    undone_at: datetime | None = _column(schema.importbatch.c.undone_at)
    undone_by: str | None = _column(schema.importbatch.c.undone_by)


class ImportItem(SQLModel, table=True):
    """A row an import added or updated; ``before`` (JSON) restores an update on undo."""

    __table__ = schema.importitem

    id: int | None = _column(schema.importitem.c.id)
    batch_id: int = _column(schema.importitem.c.batch_id)
    table_name: str = _column(schema.importitem.c.table_name)
    row_id: int = _column(schema.importitem.c.row_id)
    action: str = _column(schema.importitem.c.action)
    before: str | None = _column(schema.importitem.c.before)


class Complaint(SQLModel, table=True):
    """客户投诉 (seed 003 四)."""

    __table__ = schema.complaint

    id: int | None = _column(schema.complaint.c.id)
    customer_id: int = _column(schema.complaint.c.customer_id)
    received_at: datetime = _column(schema.complaint.c.received_at)
    severity: str = _column(schema.complaint.c.severity)
    summary: str = _column(schema.complaint.c.summary)
    channel: str | None = _column(schema.complaint.c.channel)
    handler: str | None = _column(schema.complaint.c.handler)
    status: str = _column(schema.complaint.c.status)
    responded_at: datetime | None = _column(schema.complaint.c.responded_at)
    resolved_at: datetime | None = _column(schema.complaint.c.resolved_at)
    closed_at: datetime | None = _column(schema.complaint.c.closed_at)
    reopened_at: datetime | None = _column(schema.complaint.c.reopened_at)
    waiting_since: datetime | None = _column(schema.complaint.c.waiting_since)
    resolution: str | None = _column(schema.complaint.c.resolution)
    feedback: str | None = _column(schema.complaint.c.feedback)
    satisfied: bool | None = _column(schema.complaint.c.satisfied)
    opened_by: str | None = _column(schema.complaint.c.opened_by)
    created_at: datetime = _column(schema.complaint.c.created_at)
    updated_at: datetime = _column(schema.complaint.c.updated_at)


class ComplaintStep(SQLModel, table=True):
    """One step of a complaint's timeline."""

    __table__ = schema.complaintstep

    id: int | None = _column(schema.complaintstep.c.id)
    complaint_id: int = _column(schema.complaintstep.c.complaint_id)
    at: datetime = _column(schema.complaintstep.c.at)
    kind: str = _column(schema.complaintstep.c.kind)
    note: str | None = _column(schema.complaintstep.c.note)
    severity: str | None = _column(schema.complaintstep.c.severity)
    by: str = _column(schema.complaintstep.c.by)
    created_at: datetime = _column(schema.complaintstep.c.created_at)


class Survey(SQLModel, table=True):
    """满意度调查 (seed 003 五, 第九条)."""

    __table__ = schema.survey

    id: int | None = _column(schema.survey.c.id)
    customer_id: int = _column(schema.survey.c.customer_id)
    contact_id: int | None = _column(schema.survey.c.contact_id)
    on: date = _column(schema.survey.c.on)
    method: str = _column(schema.survey.c.method)
    quality: int = _column(schema.survey.c.quality)
    price: int = _column(schema.survey.c.price)
    delivery: int = _column(schema.survey.c.delivery)
    service: int = _column(schema.survey.c.service)
    overall: int | None = _column(schema.survey.c.overall)
    comment: str | None = _column(schema.survey.c.comment)
    by: str | None = _column(schema.survey.c.by)
    created_at: datetime = _column(schema.survey.c.created_at)
    updated_at: datetime = _column(schema.survey.c.updated_at)


class Project(SQLModel, table=True):
    """合作项目 (seed 000 第十三条, 002 四, 003 第七条)."""

    __table__ = schema.project

    id: int | None = _column(schema.project.c.id)
    customer_id: int = _column(schema.project.c.customer_id)
    name: str = _column(schema.project.c.name)
    stage: str = _column(schema.project.c.stage)
    amount_cents: int | None = _column(schema.project.c.amount_cents)
    currency: str = _column(schema.project.c.currency)
    likelihood: int | None = _column(schema.project.c.likelihood)
    product: str | None = _column(schema.project.c.product)
    added_on: date = _column(schema.project.c.added_on)
    expected_on: date | None = _column(schema.project.c.expected_on)
    closed_on: date | None = _column(schema.project.c.closed_on)
    owner: str | None = _column(schema.project.c.owner)
    lead: str | None = _column(schema.project.c.lead)
    approved_at: datetime | None = _column(schema.project.c.approved_at)
    approved_by: str | None = _column(schema.project.c.approved_by)
    lost_reason: str | None = _column(schema.project.c.lost_reason)
    created_by: str | None = _column(schema.project.c.created_by)
    created_at: datetime = _column(schema.project.c.created_at)
    updated_at: datetime = _column(schema.project.c.updated_at)


class ProjectStage(SQLModel, table=True):
    """One stage a project entered: who moved it, and when."""

    __table__ = schema.projectstage

    id: int | None = _column(schema.projectstage.c.id)
    project_id: int = _column(schema.projectstage.c.project_id)
    stage: str = _column(schema.projectstage.c.stage)
    from_stage: str | None = _column(schema.projectstage.c.from_stage)
    at: datetime = _column(schema.projectstage.c.at)
    by: str = _column(schema.projectstage.c.by)
    note: str | None = _column(schema.projectstage.c.note)
    created_at: datetime = _column(schema.projectstage.c.created_at)


class ProjectDoc(SQLModel, table=True):
    """A document of a project (seed 002 四.3), archived under its sha256."""

    __table__ = schema.projectdoc

    id: int | None = _column(schema.projectdoc.c.id)
    project_id: int = _column(schema.projectdoc.c.project_id)
    name: str = _column(schema.projectdoc.c.name)
    kind: str = _column(schema.projectdoc.c.kind)
    sha256: str = _column(schema.projectdoc.c.sha256)
    size: int = _column(schema.projectdoc.c.size)
    source: str | None = _column(schema.projectdoc.c.source)
    added_at: datetime = _column(schema.projectdoc.c.added_at)
    added_by: str = _column(schema.projectdoc.c.added_by)
    created_at: datetime = _column(schema.projectdoc.c.created_at)
    updated_at: datetime = _column(schema.projectdoc.c.updated_at)
