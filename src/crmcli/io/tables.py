"""What each table looks like in a file: the one description import and export share.

A table is a list of columns: the header crm writes (``key``), the headers it also
recognises in English and Chinese (``aliases``), how a cell is read and validated
(``parse``, from ``services.fields`` wherever a field has a rule there), which stored
column it fills, and what kind of value it is (for formula escaping, text cells in xlsx,
redaction). Duplicate keys say when a row names a record that already exists.

A later table (projects, complaints, surveys…) gets ``crm import`` and ``crm export`` by
adding its description here; the importer and the exporters know no table by name.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from crmcli import enums
from crmcli.errors import InvalidInput
from crmcli.i18n import _
from crmcli.io import values as v
from crmcli.text import normalize
from crmcli.text.fields import CONTACT_FIELDS, CUSTOMER_FIELDS

# Kinds of value: how each is written (escaped, as an xlsx text cell, masked by --redact).
TEXT, CODE, PHONE, EMAIL, DATE, DATETIME, BOOL, INT, AMOUNT = (
    "text",
    "code",
    "phone",
    "email",
    "date",
    "datetime",
    "bool",
    "int",
    "amount",
)

# The column a rejects file adds: recognised (and ignored) when the fixed file comes back.
REJECT_REASON = "reject_reason"


class CellError(InvalidInput):
    """A value that a derived check refused, attributed to the column it came from."""

    def __init__(self, column: str, message: str) -> None:
        super().__init__(message)
        self.column = column


@dataclass(frozen=True)
class Column:
    key: str
    aliases: tuple[str, ...] = ()
    parse: Callable[[str], Any] | None = None  # None: written on export, ignored on import
    store: str | None = None  # the stored column it fills (default: key)
    kind: str = TEXT
    export: Callable[[Any], Any] | None = None  # stored value → exported value
    source: str | None = None  # the exported row's field (default: store)
    required: bool = False
    exported: bool = True
    # ``parse`` over a whole column at once, where that is cheaper: None for an empty
    # text, InvalidInput for a refused one (which cell is then found with ``parse``).
    parse_all: Callable[[list[str]], list[Any]] | None = None

    @property
    def target(self) -> str:
        return self.store or self.key

    @property
    def field(self) -> str:
        return self.source or self.target

    @property
    def importable(self) -> bool:
        return self.parse is not None


@dataclass(frozen=True)
class Key:
    """Rows are the same record when these stored columns are equal (SPEC §4 Duplicates).

    ``optional`` columns are compared too but may be empty (empty equals empty). A
    ``decisive`` key, once a row has it, is the only one asked: two customers with
    different codes are different customers even when they share a phone.
    """

    columns: tuple[str, ...]
    label: str
    optional: tuple[str, ...] = ()
    decisive: bool = False
    # Events (a call, an order) may really happen twice in one file; only a row already in
    # the database is a duplicate of them, so importing a file twice adds it once.
    in_file: bool = True
    # Rows equal on the key are still different records when both have a value in one of
    # these columns and the values differ: two people of one name, each with a phone.
    apart: tuple[str, ...] = ()
    # The same, between two rows of one file only (never against the database): the
    # record number an export gives each row. An export lists every record once, so two
    # of its rows with different numbers are two records, however alike.
    apart_in_file: tuple[str, ...] = ()


@dataclass(frozen=True)
class Table:
    name: str  # the CLI noun: customers
    table: str  # the SQL table: customer
    model: str  # the SQLModel class in crmcli.models
    singular: str
    columns: tuple[Column, ...]
    keys: tuple[Key, ...]
    # Stored columns ``derive`` computes from a column the file gives: name → name_key…
    derived: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Given the parsed columns of some rows (None where a row has no value), adds the
    # derived columns and returns what it refused, by row position. Whole columns at a
    # time: one call per chunk of rows instead of one per row.
    derive: Callable[[dict[str, list[Any]]], dict[int, CellError]] | None = None
    notes: str | None = None  # unknown columns become "header: value" lines here
    # Rows name their customer (code, name, or either) and maybe a contact by name.
    customer_ref: bool = False
    contact_ref: bool = False
    owner: str | None = None  # the column --owner fills when a row gives none
    defaults_today: tuple[str, ...] = ()  # date columns that default to the import day
    # The day of the event a row records: not before its customer was added (seed 000
    # 第七条 准确性), as the command that records one one at a time checks.
    event_day: str | None = None
    # ... and one that has happened: not after the import's day either (a follow-up dated
    # later would become the last contact and hide its customer from the overdue list).
    event_past: bool = False
    # Columns that default to a config setting when a row gives none: column → config key.
    defaults_config: dict[str, str] = field(default_factory=dict)

    @cached_property
    def aliases_index(self) -> dict[str, Column]:
        """Every header a column answers to, folded; built when a file's headers are first
        matched (commands that add one record never need it)."""
        index: dict[str, Column] = {}
        for col in self.columns:
            for name in (col.key, *col.aliases):
                folded = fold_header(name)
                if folded in index and index[folded] is not col:
                    raise AssertionError(f"{self.name}: header {name!r} used twice")
                index[folded] = col
        return index

    def column(self, key: str) -> Column | None:
        return next((c for c in self.columns if c.key == key), None)

    def match_header(self, header: str) -> Column | None:
        return self.aliases_index.get(fold_header(header))

    @property
    def exported_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.exported)

    @property
    def stored_columns(self) -> tuple[str, ...]:
        """Everything a staged row holds, in a fixed order."""
        seen: dict[str, None] = {}
        for col in self.columns:
            if col.importable and not col.target.startswith("_"):
                seen[col.target] = None
        for names in self.derived.values():
            seen.update(dict.fromkeys(names))
        return tuple(seen)

    def staged_columns(self, targets: Sequence[str]) -> tuple[str, ...]:
        """The stored columns a file with these columns fills (and what derives from them)."""
        present = set(targets)
        if self.notes:
            present.add(self.notes)
        for source, names in self.derived.items():
            if source in present:
                present.update(names)
        return tuple(c for c in self.stored_columns if c in present)

    def required_columns(self) -> list[Column]:
        return [c for c in self.columns if c.required]


def fold_header(text: str) -> str:
    """Headers match whatever their case, spacing, underscores or width: ``Contact Name``,
    ``contact_name`` and ``ＣＯＮＴＡＣＴ　ＮＡＭＥ`` are one header."""
    text = unicodedata.normalize("NFKC", text.replace("\ufeff", ""))
    return re.sub(r"[\s_\-./:：]+", "", text).casefold()


# --- parsers that need more than one cell -----------------------------------------------


def _birthday_text(text: str) -> str:
    return normalize.clean_text(text)


_NO_KEYS = (None, None)


def _derive_birthdays(columns: dict[str, list[Any]], problems: dict[int, CellError]) -> None:
    """Birthdays are checked with their lunar/leap flags, which are other columns."""
    texts = columns.get("birthday")
    if texts is None:
        return
    from crmcli.text.fields import parse_birthday

    lunar = columns.get("birthday_lunar") or [None] * len(texts)
    leap = columns.get("birthday_leap") or [None] * len(texts)
    month_days: list[str | None] = [None] * len(texts)
    for i, text in enumerate(texts):
        if text is None:
            continue
        try:
            normalized = parse_birthday(text, lunar=bool(lunar[i]), leap=bool(leap[i]))
        except InvalidInput as exc:
            problems[i] = CellError("birthday", exc.message)
            continue
        texts[i] = normalized
        month_days[i] = normalized[-5:]
    columns["birth_md"] = month_days


def _derive_customer(columns: dict[str, list[Any]]) -> dict[int, CellError]:
    problems: dict[int, CellError] = {}
    names = columns.get("name")
    if names is not None:
        columns["name_key"] = [normalize.name_key(n) if n else None for n in names]
        keys = [v.pinyin_keys(n) if n else _NO_KEYS for n in names]
        columns["sort_key"] = [k[0] for k in keys]
        columns["search_key"] = [k[1] for k in keys]
    _derive_birthdays(columns, problems)
    return problems


def _derive_child(columns: dict[str, list[Any]]) -> dict[int, CellError]:
    for ref in ("ref_name", "ref_any"):
        names = columns.get(ref)
        if names is not None:
            columns[f"{ref}_key"] = [normalize.name_key(n) if n else None for n in names]
    return {}


def _derive_contact(columns: dict[str, list[Any]]) -> dict[int, CellError]:
    problems = _derive_child(columns)
    _derive_birthdays(columns, problems)
    return problems


def _text(value: str) -> str | None:
    return normalize.clean_text(value) or None


def _code(value: str) -> str | None:
    return _text(v.code_text(value))


def _customer_code(value: str) -> Any:
    return CUSTOMER_FIELDS["code"](v.code_text(value))


def _memo(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """Enumerations repeat down a column: parse each distinct text once per process."""
    seen: dict[str, Any] = {}

    def cached(text: str) -> Any:
        try:
            return seen[text]
        except KeyError:
            value = parse(text)
            if len(seen) < 10_000:
                seen[text] = value
            return value

    return cached


# yes/no, 是/否, 1/0: the rule fields.py applies to tier_locked, for every flag.
_yes_no = _memo(CUSTOMER_FIELDS["tier_locked"])


# --- the tables ---------------------------------------------------------------------------

ID = Column("id", kind=INT)


def _source_id(value: str) -> str | None:
    """The record number a row had where it was exported, kept while importing only."""
    return value.strip() or None


# Contacts are matched by name within a customer, and one customer may have two people of
# one name (one without a phone, or told apart only by a birthday): the exported id tells
# the rows of one file apart, and is never written.
SOURCE_ID = Column("id", parse=_source_id, store="source_id", source="id", kind=INT)
CREATED_AT = Column("created_at", ("创建时间",), kind=DATETIME)
UPDATED_AT = Column("updated_at", ("更新时间", "修改时间"), kind=DATETIME)

CUSTOMER_CODE = Column(
    "customer_code",
    (
        "customer code",
        "客户编号",
        "客户编码",
        "客户代码",
        "客户id",
        "customer id",
        "code",
        "编号",
        "顾客id",
        "顾客编号",
        "会员id",
        "会员编号",
        "client id",
        "account id",
    ),
    _code,
    store="ref_code",
    kind=CODE,
    source="customer_code",
)
CUSTOMER_NAME = Column(
    "customer_name",
    (
        "客户名称",
        "客户名",
        "公司名称",
        "公司",
        "company",
        "company name",
        "account",
        "account name",
        "客户姓名",
        "顾客姓名",
        "顾客名称",
        "client",
        "client name",
    ),
    _text,
    store="ref_name",
    source="customer_name",
)
REF_KEYS: dict[str, tuple[str, ...]] = {
    "ref_name": ("ref_name_key",),
    "ref_any": ("ref_any_key",),
}
CUSTOMER_EITHER = Column(
    "customer",
    ("客户", "所属客户"),
    _text,
    store="ref_any",
    exported=False,
)


CUSTOMERS = Table(
    name="customers",
    table="customer",
    model="Customer",
    singular="customer",
    columns=(
        Column(
            "code",
            (
                "客户编号",
                "客户编码",
                "客户代码",
                "编号",
                "客户id",
                "customer id",
                "customer code",
                "顾客id",
                "顾客编号",
                "client id",
                "account id",
            ),
            _customer_code,
            kind=CODE,
        ),
        Column(
            "name",
            (
                "customer",
                "customer name",
                "company",
                "company name",
                "account",
                "account name",
                "客户",
                "客户名称",
                "客户名",
                "公司",
                "公司名称",
                "企业名称",
                "单位名称",
                "名称",
                "姓名",
                "客户姓名",
                "顾客姓名",
                "顾客名称",
                "client",
                "client name",
            ),
            CUSTOMER_FIELDS["name"],
            required=True,
        ),
        Column("kind", ("type", "类型", "客户类型"), _memo(CUSTOMER_FIELDS["kind"])),
        Column(
            "contact_name",
            ("contact", "primary contact", "联系人", "联系人姓名", "主要联系人"),
            CUSTOMER_FIELDS["contact_name"],
        ),
        Column(
            "phone",
            (
                "mobile",
                "tel",
                "telephone",
                "phone number",
                "电话",
                "手机",
                "手机号",
                "手机号码",
                "联系电话",
                "电话号码",
                "联系方式",
            ),
            v.phone,
            kind=PHONE,
            parse_all=v.phones,
        ),
        Column(
            "email",
            ("e-mail", "mail", "email address", "邮箱", "电子邮件", "电子邮箱", "邮件"),
            v.email,
            kind=EMAIL,
        ),
        Column("address", ("地址", "详细地址", "公司地址", "联系地址"), CUSTOMER_FIELDS["address"]),
        Column(
            "region",
            ("city", "office location", "地域", "地区", "城市", "区域", "所在地区", "所在城市"),
            CUSTOMER_FIELDS["region"],
        ),
        Column("industry", ("sector", "行业", "所属行业"), _memo(CUSTOMER_FIELDS["industry"])),
        Column("scale", ("size", "规模", "企业规模", "公司规模"), _memo(CUSTOMER_FIELDS["scale"])),
        Column("need", ("需求", "需求类型"), _memo(CUSTOMER_FIELDS["need"])),
        Column("needs_note", ("needs", "需求分析", "需求说明"), CUSTOMER_FIELDS["needs_note"]),
        Column(
            "main_business",
            ("business", "主营业务", "主营"),
            CUSTOMER_FIELDS["main_business"],
        ),
        Column("budget", ("预算", "预算范围"), CUSTOMER_FIELDS["budget"]),
        Column("source", ("来源", "客户来源"), _memo(CUSTOMER_FIELDS["source"])),
        Column("channel", ("渠道", "获客渠道", "acquisition"), _memo(CUSTOMER_FIELDS["channel"])),
        Column(
            "stage",
            ("status", "客户状态", "状态", "阶段", "客户阶段"),
            _memo(CUSTOMER_FIELDS["stage"]),
        ),
        Column(
            "tier",
            ("level", "级别", "客户级别", "客户分类", "服务等级"),
            _memo(CUSTOMER_FIELDS["tier"]),
        ),
        Column("tier_locked", ("locked", "级别锁定"), _yes_no, kind=BOOL),
        Column("grade", ("客户分级", "abc分级", "abc"), v.parse_grade),
        Column("value", ("客户价值", "价值"), v.parse_value_level),
        Column("potential", ("潜力",), _memo(CUSTOMER_FIELDS["potential"])),
        Column(
            "likelihood",
            ("合作可能性", "可能性", "成交概率"),
            CUSTOMER_FIELDS["likelihood"],
            kind=INT,
        ),
        Column(
            "cooperation_plan",
            ("plan", "合作方案"),
            CUSTOMER_FIELDS["cooperation_plan"],
        ),
        Column(
            "owner",
            (
                "salesperson",
                "sales rep",
                "sales agent",
                "负责人",
                "跟进责任人",
                "跟进人",
                "业务员",
                "销售",
                "销售员",
                "客户经理",
                "所属销售",
            ),
            CUSTOMER_FIELDS["owner"],
        ),
        Column("intake_by", ("intake", "初步沟通责任人", "接待人"), CUSTOMER_FIELDS["intake_by"]),
        Column("project_lead", ("lead", "项目负责人"), CUSTOMER_FIELDS["project_lead"]),
        Column("birthday", ("birth date", "date of birth", "生日", "出生日期"), _birthday_text),
        Column("birthday_lunar", ("lunar", "农历", "农历生日"), _yes_no, kind=BOOL),
        Column("birthday_leap", ("leap", "闰月"), _yes_no, kind=BOOL),
        Column("tags", ("tag", "labels", "标签"), CUSTOMER_FIELDS["tags"]),
        Column(
            "notes",
            ("note", "remark", "remarks", "comment", "comments", "备注", "说明", "备注信息"),
            v.multiline_text,
        ),
        Column(
            "created_on",
            ("added", "added on", "创建日期", "录入日期", "建档日期", "添加日期"),
            v.parse_day,
            kind=DATE,
            parse_all=v.parse_days,
        ),
        Column("last_contact_at", ("最后联系时间", "上次联系"), kind=DATETIME),
        Column("next_due_at", ("下次跟进日期", "下次联系"), kind=DATE),
        ID,
        CREATED_AT,
        UPDATED_AT,
    ),
    keys=(
        Key(("code",), "code", decisive=True),
        Key(("phone",), "phone"),
        Key(("name_key",), "name"),
    ),
    derived={"name": ("name_key", "sort_key", "search_key"), "birthday": ("birth_md",)},
    derive=_derive_customer,
    notes="notes",
    owner="owner",
    defaults_today=("created_on",),
)

CONTACTS = Table(
    name="contacts",
    table="contact",
    model="Contact",
    singular="contact",
    columns=(
        CUSTOMER_CODE,
        CUSTOMER_NAME,
        CUSTOMER_EITHER,
        Column(
            "name",
            ("contact", "contact name", "联系人", "联系人姓名", "姓名", "名字"),
            CONTACT_FIELDS["name"],
            required=True,
        ),
        Column(
            "title",
            ("role", "position", "job title", "职务", "职位", "头衔"),
            CONTACT_FIELDS["title"],
        ),
        Column(
            "phone",
            ("mobile", "tel", "telephone", "电话", "手机", "手机号", "手机号码", "联系电话"),
            v.phone,
            kind=PHONE,
            parse_all=v.phones,
        ),
        Column("email", ("e-mail", "mail", "邮箱", "电子邮件", "电子邮箱"), v.email, kind=EMAIL),
        Column("gender", ("sex", "性别"), _memo(CONTACT_FIELDS["gender"])),
        Column("birthday", ("birth date", "date of birth", "生日", "出生日期"), _birthday_text),
        Column("birthday_lunar", ("lunar", "农历", "农历生日"), _yes_no, kind=BOOL),
        Column("birthday_leap", ("leap", "闰月"), _yes_no, kind=BOOL),
        Column("notes", ("note", "remark", "remarks", "备注", "说明"), v.multiline_text),
        SOURCE_ID,
        CREATED_AT,
        UPDATED_AT,
    ),
    keys=(
        Key(("customer_id", "phone"), "phone", apart_in_file=("source_id",)),
        Key(("customer_id", "name"), "name", apart=("phone",), apart_in_file=("source_id",)),
    ),
    derived={**REF_KEYS, "birthday": ("birth_md",)},
    derive=_derive_contact,
    notes="notes",
    customer_ref=True,
)

FOLLOWUPS = Table(
    name="followups",
    table="followup",
    model="FollowUp",
    singular="follow-up",
    columns=(
        CUSTOMER_CODE,
        CUSTOMER_NAME,
        CUSTOMER_EITHER,
        Column(
            "contact",
            ("contact name", "联系人"),
            _text,
            store="contact_ref",
            source="contact_name",
        ),
        Column(
            "at",
            (
                "date",
                "time",
                "when",
                "日期",
                "时间",
                "跟进时间",
                "跟进日期",
                "拜访时间",
                "沟通时间",
            ),
            v.parse_moment,
            kind=DATETIME,
            parse_all=v.parse_moments,
            required=True,
        ),
        Column(
            "channel",
            ("method", "方式", "跟进方式", "沟通方式", "渠道"),
            _memo(enums.CHANNEL.parse),
            required=True,
        ),
        Column(
            "summary",
            ("content", "内容", "沟通内容", "跟进内容", "摘要", "记录"),
            v.plain_text,
            required=True,
        ),
        Column("result", ("outcome", "结果", "跟进结果"), v.plain_text),
        Column("owner", ("salesperson", "负责人", "跟进人", "业务员", "销售"), _text),
        ID,
        CREATED_AT,
        UPDATED_AT,
    ),
    keys=(
        Key(
            ("customer_id", "at", "channel", "summary"), "time, channel and summary", in_file=False
        ),
    ),
    derived=REF_KEYS,
    derive=_derive_child,
    customer_ref=True,
    contact_ref=True,
    owner="owner",
    event_day="at",
    event_past=True,
)

PLANS = Table(
    name="plans",
    table="plan",
    model="Plan",
    singular="plan",
    columns=(
        CUSTOMER_CODE,
        CUSTOMER_NAME,
        CUSTOMER_EITHER,
        Column(
            "due_on",
            (
                "due",
                "date",
                "due date",
                "deadline",
                "due by",
                "日期",
                "计划日期",
                "到期日",
                "到期日期",
                "截止日期",
                "截止时间",
                "计划时间",
            ),
            v.parse_day,
            kind=DATE,
            parse_all=v.parse_days,
            required=True,
        ),
        Column("due_time", ("time", "时间", "时刻"), v.parse_clock),
        Column("channel", ("method", "方式", "跟进方式"), _memo(enums.CHANNEL.parse)),
        Column("content", ("action", "内容", "计划内容", "事项"), v.plain_text, required=True),
        Column("owner", ("salesperson", "负责人", "跟进人", "业务员"), _text),
        Column("status", ("状态",), _memo(enums.PLAN_STATUS.parse)),
        Column(
            "closed_at",
            ("完成时间", "关闭时间"),
            v.parse_moment,
            kind=DATETIME,
            parse_all=v.parse_moments,
        ),
        ID,
        CREATED_AT,
        UPDATED_AT,
    ),
    keys=(Key(("customer_id", "due_on", "content"), "day and content", in_file=False),),
    derived=REF_KEYS,
    derive=_derive_child,
    customer_ref=True,
    owner="owner",
    event_day="due_on",
)

SALES = Table(
    name="sales",
    table="sale",
    model="Sale",
    singular="sale",
    columns=(
        CUSTOMER_CODE,
        CUSTOMER_NAME,
        CUSTOMER_EITHER,
        Column(
            "sold_on",
            (
                "date",
                "sale date",
                "order date",
                "invoice date",
                "purchase date",
                "transaction date",
                "日期",
                "销售日期",
                "订单日期",
                "购买日期",
                "成交日期",
                "下单日期",
                "下单时间",
                "交易日期",
                "付款日期",
                "开票日期",
            ),
            v.parse_day,
            kind=DATE,
            parse_all=v.parse_days,
            required=True,
        ),
        Column(
            "amount",
            (
                "total",
                "sales",
                "revenue",
                "total amount",
                "order amount",
                "金额",
                "总价",
                "销售额",
                "订单金额",
                "成交金额",
                "总金额",
                "实付金额",
                "付款金额",
                "交易金额",
                "销售金额",
            ),
            v.parse_micros,
            store="amount_micros",
            kind=AMOUNT,
            export=v.format_micros,
            required=True,
        ),
        Column("currency", ("currency code", "币种", "货币", "币别"), v.parse_currency),
        Column(
            "product",
            (
                "product name",
                "item",
                "item name",
                "description",
                "产品",
                "产品名称",
                "商品",
                "商品名称",
                "品名",
            ),
            v.plain_text,
        ),
        Column("note", ("notes", "remark", "备注", "说明"), v.plain_text),
        ID,
        CREATED_AT,
        UPDATED_AT,
    ),
    keys=(
        Key(
            ("customer_id", "sold_on", "amount_micros"),
            "day, amount and product",
            optional=("product",),
            in_file=False,
        ),
    ),
    derived=REF_KEYS,
    derive=_derive_child,
    notes="note",
    customer_ref=True,
    defaults_config={"currency": "currency.base"},
    event_day="sold_on",
)

# 客户投诉 (seed 003 四): a complaint and how far it went. The status follows from the
# times a row gives (closed_at → closed …) unless the file says it, and then must match.
_COMPLAINT_TIMES = (
    ("received_at", "open"),
    ("responded_at", "responded"),
    ("resolved_at", "resolved"),
    ("closed_at", "closed"),
)


def _derive_complaint(columns: dict[str, list[Any]]) -> dict[int, CellError]:
    problems = _derive_child(columns)
    received = columns.get("received_at")
    if received is None:
        return problems
    n = len(received)
    times = [(name, columns.get(name) or [None] * n, status) for name, status in _COMPLAINT_TIMES]
    given = columns.get("status")
    statuses: list[str | None] = []
    for i in range(n):
        reached, last = "open", None
        for name, values, status in times:
            at = values[i]
            if at is None:
                continue
            if last is not None and at < last[1]:
                problems.setdefault(
                    i, CellError(name, _("{name} is before {last}").format(name=name, last=last[0]))
                )
            last, reached = (name, at), status
        if given is not None and given[i] is not None and given[i] != reached:
            problems.setdefault(
                i,
                CellError(
                    "status",
                    _("status {given} does not match the times given (they say {reached})").format(
                        given=given[i], reached=reached
                    ),
                ),
            )
        statuses.append(reached)
    columns["status"] = statuses
    return problems


def _moment_column(key: str, aliases: tuple[str, ...], *, required: bool = False) -> Column:
    return Column(
        key,
        aliases,
        v.parse_moment,
        kind=DATETIME,
        parse_all=v.parse_moments,
        required=required,
    )


COMPLAINTS = Table(
    name="complaints",
    table="complaint",
    model="Complaint",
    singular="complaint",
    columns=(
        CUSTOMER_CODE,
        CUSTOMER_NAME,
        CUSTOMER_EITHER,
        _moment_column(
            "received_at", ("received", "date", "日期", "投诉时间", "受理时间"), required=True
        ),
        Column(
            "severity",
            ("level", "级别", "投诉级别", "严重程度"),
            _memo(enums.SEVERITY.parse),
            required=True,
        ),
        Column("summary", ("content", "内容", "投诉内容", "摘要"), v.plain_text, required=True),
        Column("channel", ("方式", "渠道", "投诉渠道"), _memo(enums.CHANNEL.parse)),
        Column("handler", ("处理人", "负责人"), _text),
        Column("status", ("状态", "处理状态"), _memo(enums.COMPLAINT_STATUS.parse)),
        _moment_column("responded_at", ("答复时间", "回复时间")),
        _moment_column("resolved_at", ("解决时间",)),
        _moment_column("closed_at", ("关闭时间", "结案时间")),
        Column("resolution", ("处理结果", "解决方案", "处理方案"), v.plain_text),
        Column("feedback", ("反馈", "客户反馈"), v.plain_text),
        Column("satisfied", ("满意", "是否满意"), _yes_no, kind=BOOL),
        Column("opened_by", ("受理人", "记录人"), _text),
        ID,
        CREATED_AT,
        UPDATED_AT,
    ),
    keys=(Key(("customer_id", "received_at", "summary"), "time and summary", in_file=False),),
    derived={**REF_KEYS, "received_at": ("status",)},
    derive=_derive_complaint,
    customer_ref=True,
    owner="handler",
    event_day="received_at",
)


def _score(text: str) -> int:
    from crmcli.text.fields import parse_score

    return parse_score(text)


# 满意度调查 (seed 003 五): scores 1–5 per dimension; overall, when empty, is their mean.
SURVEYS = Table(
    name="surveys",
    table="survey",
    model="Survey",
    singular="survey",
    columns=(
        CUSTOMER_CODE,
        CUSTOMER_NAME,
        CUSTOMER_EITHER,
        Column(
            "contact", ("contact name", "联系人"), _text, store="contact_ref", source="contact_name"
        ),
        Column(
            "on",
            ("date", "日期", "调查日期", "调查时间"),
            v.parse_day,
            kind=DATE,
            parse_all=v.parse_days,
            required=True,
        ),
        Column("method", ("方式", "调查方式"), _memo(enums.SURVEY_METHOD.parse), required=True),
        Column("quality", ("产品质量", "质量"), _score, kind=INT, required=True),
        Column("price", ("价格",), _score, kind=INT, required=True),
        Column("delivery", ("交货按时", "交货", "交期"), _score, kind=INT, required=True),
        Column("service", ("售后服务", "服务"), _score, kind=INT, required=True),
        Column("overall", ("总体", "总体评价", "综合"), _score, kind=INT),
        Column("comment", ("意见", "建议", "备注", "comments"), v.plain_text),
        Column("by", ("调查人",), _text),
        ID,
        CREATED_AT,
        UPDATED_AT,
    ),
    keys=(Key(("customer_id", "on", "method"), "day and method", in_file=False),),
    derived=REF_KEYS,
    derive=_derive_child,
    customer_ref=True,
    contact_ref=True,
    event_day="on",
)


# 合作项目 (seed 002 四): also what other CRMs export as deals or opportunities.


def _derive_project(columns: dict[str, list[Any]]) -> dict[int, CellError]:
    """An open deal's close date is the day it is expected to close (what CRMs export as
    a deal's close date before it is won or lost); no close is before the project began."""
    problems = _derive_child(columns)
    added = columns.get("added_on")
    stage = columns.get("stage")
    closed = columns.get("closed_on")
    if closed is None:
        return problems
    n = len(closed)
    expected = columns.setdefault("expected_on", [None] * n)
    for i in range(n):
        if closed[i] is not None and (stage is None or stage[i] not in enums.PROJECT_CLOSED_STAGES):
            expected[i] = expected[i] or closed[i]
            closed[i] = None
        if added is not None and added[i] is not None:
            for key, day in (("closed_on", closed[i]), ("expected_on", expected[i])):
                if day is not None and day < added[i]:
                    problems.setdefault(
                        i,
                        CellError(
                            key,
                            _("{key} {day} is before the project began ({added})").format(
                                key=key, day=day, added=added[i]
                            ),
                        ),
                    )
    return problems


def _day_column(key: str, aliases: tuple[str, ...]) -> Column:
    return Column(key, aliases, v.parse_day, kind=DATE, parse_all=v.parse_days)


PROJECTS = Table(
    name="projects",
    table="project",
    model="Project",
    singular="project",
    columns=(
        CUSTOMER_CODE,
        CUSTOMER_NAME,
        CUSTOMER_EITHER,
        Column(
            "name",
            (
                "project",
                "project name",
                "deal",
                "deal name",
                "opportunity",
                "opportunity id",
                "opportunity name",
                "项目",
                "项目名称",
                "商机",
                "商机名称",
            ),
            v.plain_text,
            required=True,
        ),
        Column(
            "stage",
            ("deal stage", "阶段", "项目阶段", "商机阶段"),
            _memo(enums.PROJECT_STAGE.parse),
        ),
        Column(
            "amount",
            ("value", "close value", "deal value", "金额", "项目金额", "合同金额", "预计金额"),
            v.parse_project_cents,
            store="amount_cents",
            kind=AMOUNT,
            export=v.format_cents,
        ),
        Column("currency", ("币种", "货币"), v.parse_currency),
        Column(
            "likelihood",
            ("probability", "可能性", "合作可能性", "成交概率"),
            CUSTOMER_FIELDS["likelihood"],
            kind=INT,
        ),
        Column("product", ("产品", "产品名称"), v.plain_text),
        _day_column(
            "added_on", ("engage date", "created on", "start date", "立项日期", "开始日期")
        ),
        _day_column("expected_on", ("expected close", "预计成交日期", "预计完成日期", "截止日期")),
        _day_column("closed_on", ("close date", "closed", "成交日期", "结束日期", "完成日期")),
        Column(
            "owner", ("sales agent", "salesperson", "负责人", "跟进人", "业务员", "销售"), _text
        ),
        Column("lead", ("project lead", "项目负责人"), _text),
        Column("lost_reason", ("loss reason", "丢单原因", "失败原因"), v.plain_text),
        Column("approved_by", ("审批人",), _text),
        ID,
        CREATED_AT,
        UPDATED_AT,
    ),
    keys=(Key(("customer_id", "name"), "name"),),
    derived={**REF_KEYS, "closed_on": ("expected_on",)},
    derive=_derive_project,
    customer_ref=True,
    owner="owner",
    defaults_today=("added_on",),
    event_day="added_on",
)

TABLES: dict[str, Table] = {
    t.name: t for t in (CUSTOMERS, CONTACTS, FOLLOWUPS, PLANS, SALES, COMPLAINTS, SURVEYS, PROJECTS)
}
IMPORTABLE = tuple(TABLES)


def table(name: str) -> Table:
    try:
        return TABLES[name]
    except KeyError:
        raise InvalidInput(
            _("unknown table {name!r}; expected one of: {TABLES}").format(
                name=name, TABLES=", ".join(TABLES)
            )
        ) from None


# Headers are compared folded: ``reject_reason`` folds to ``rejectreason``.
_REJECT_REASON_FOLDED = fold_header(REJECT_REASON)


class UnrecognisedHeader(InvalidInput):
    """Not one header of the row is known: a wrong encoding, or a file of another table."""

    headers = ""  # the row's headers as the message shows them


@dataclass(frozen=True)
class Computed:
    """A field whose cell is made of several cells of a row, joined by
    ``values.PRODUCT_SEPARATOR`` (``--amount "Quantity*UnitPrice"``)."""

    indexes: tuple[int, ...]
    column: Column  # the table's column, parsing the joined cells
    label: str  # how rows' problems name it: Quantity*UnitPrice


@dataclass
class Layout:
    """How the columns of one file map onto a table."""

    headers: list[str]
    fields: list[tuple[int, Column]]  # file column index → the column it fills
    unknown: list[tuple[int, str]]  # columns kept in notes as "header: value" lines
    notices: list[str]  # what the user should know: ignored, left-out, duplicate columns
    computed: list[Computed] = field(default_factory=list)
    # --map-values: file column index → its values (folded) → the texts crm reads instead
    values: dict[int, dict[str, str]] = field(default_factory=dict)

    def labels(self) -> dict[str, str]:
        """Each stored column the file fills → the header (or expression) that fills it."""
        found = {
            col.target: self.headers[i].replace("\ufeff", "").strip() for i, col in self.fields
        }
        found.update((c.column.target, c.label) for c in self.computed)
        return found

    def targets(self) -> list[str]:
        return [col.target for _, col in self.fields] + [c.column.target for c in self.computed]


def header_index(headers: Sequence[str], name: str, what: str) -> int:
    """The column of a file a header names (compared as headers are), or a refusal that
    lists the file's headers; ``what`` is the option that names it."""
    folded = fold_header(name)
    for index, header in enumerate(headers):
        if folded and fold_header(header) == folded:
            return index
    raise InvalidInput(
        _("{what}: the file has no column {part!r}; its headers are: {headers}").format(
            what=what, part=name.strip(), headers=_shown(headers)
        )
    )


def parse_map(items: Sequence[str]) -> dict[str, str]:
    """``--map "客户名称=name,手机=phone"`` (repeatable); ``--map "Fax="`` leaves a column out."""
    mapping: dict[str, str] = {}
    for item in items:
        for part in re.split(r"[,，](?=[^,，]*=)", item):
            if not part.strip():
                continue
            if "=" not in part:
                raise InvalidInput(
                    _("--map {part!r}: expected HEADER=field, e.g. 手机=phone").format(
                        part=part.strip()
                    )
                )
            header, _equals, target = part.partition("=")
            if not header.strip():
                raise InvalidInput(
                    _("--map {part!r}: the file's header is missing before '='").format(
                        part=part.strip()
                    )
                )
            mapping[fold_header(header)] = target.strip()
    return mapping


def fold_value(text: str) -> str:
    """Values of --map-values match whatever their case, width or surrounding spaces."""
    return unicodedata.normalize("NFKC", text).strip().casefold()


def parse_value_maps(items: Sequence[str]) -> dict[str, dict[str, str]]:
    """``--map-values "deal_stage:Won=completed,Lost=lost"`` (repeatable): for a column
    (its header in the file, or the field it fills), the value crm reads for each of its
    values; values not named are read as they are."""
    maps: dict[str, dict[str, str]] = {}
    for item in items:
        column, colon, pairs = item.partition(":")
        if not colon or not fold_header(column):
            raise InvalidInput(
                _(
                    "--map-values {item!r}: expected COLUMN:VALUE=ours,…, e.g. deal_stage:Won=completed"
                ).format(item=item)
            )
        values = maps.setdefault(fold_header(column), {})
        for part in re.split(r"[,，]", pairs):
            if not part.strip():
                continue
            source, equals, target = part.partition("=")
            if not equals or not source.strip() or not target.strip():
                raise InvalidInput(
                    _(
                        "--map-values {strip}:{strip2}: expected VALUE=ours, e.g. Won=completed"
                    ).format(strip=column.strip(), strip2=part.strip())
                )
            values[fold_value(source)] = target.strip()
    return maps


def map_values(texts: list[str], values: dict[str, str]) -> list[str]:
    """A column's cells with --map-values applied."""
    return [values.get(fold_value(text), text) if text else text for text in texts]


def _value_maps(
    tbl: Table,
    headers: list[str],
    fields: list[tuple[int, Column]],
    maps: dict[str, dict[str, str]],
) -> dict[int, dict[str, str]]:
    """Where each --map-values column is in the file; each value it maps to checked by the
    column's own rule first, so that a typo is refused before any row is read."""
    found: dict[int, dict[str, str]] = {}
    for name, values in maps.items():
        index = next(
            (
                i
                for i, col in fields
                if fold_header(headers[i]) == name or fold_header(col.key) == name
            ),
            None,
        )
        if index is None:
            raise InvalidInput(
                _(
                    "--map-values names a column {name} do not read from this file: {name2}; its headers are: {headers}"
                ).format(name=tbl.name, name2=name, headers=_shown(headers))
            )
        col = dict(fields)[index]
        assert col.parse is not None  # fields hold importable columns only
        for source, target in values.items():
            try:
                col.parse(target)
            except InvalidInput as exc:
                raise InvalidInput(
                    _("--map-values {strip}:{source}={target}: {message}").format(
                        strip=headers[index].strip(),
                        source=source,
                        target=target,
                        message=exc.message,
                    )
                ) from None
        found[index] = values
    return found


def _shown(headers: Sequence[str]) -> str:
    return ", ".join(h.replace("\ufeff", "").strip() for h in headers if h.strip())


def layout(
    tbl: Table,
    headers: list[str],
    mapping: dict[str, str],
    *,
    adding: bool = True,
    computed: Sequence[tuple[str, str, Sequence[str], Callable[[str], Any]]] = (),
    keep_unknown: bool = True,
    used: Sequence[str] = (),
    values: dict[str, dict[str, str]] | None = None,
) -> Layout:
    """Match a file's header row to the table, or say exactly why it cannot be.

    A file that only updates records (``adding`` false) need not have the columns a new
    record requires; a row that would be added without them is refused on its own.
    ``computed`` gives fields made of several cells: (field, the option that says so,
    the headers of those cells, the parser of the cells joined); a column of the file
    that would fill such a field is left out. Without ``keep_unknown`` the cells of
    unknown columns are not kept (rows become one record that has a note of its own).
    ``used`` names columns that options read (``--group-by``, ``--where``): not reported
    as ignored.
    """
    notes = tbl.notes if keep_unknown else None
    made: list[Computed] = []
    for key, what, names, parse in computed:
        own = tbl.column(key)
        assert own is not None and own.importable, key
        indexes = tuple(header_index(headers, name, what) for name in names)
        label = "*".join(headers[i].replace("\ufeff", "").strip() for i in indexes)
        made.append(Computed(indexes, replace(own, parse=parse, parse_all=None), label))
    made_keys = {c.column.key: c for c in made}
    fields: list[tuple[int, Column]] = []
    unknown: list[tuple[int, str]] = []
    ignored: list[str] = []
    skipped: list[str] = []
    notices: list[str] = []
    seen: dict[str, str] = {}
    folded_headers = {fold_header(h) for h in headers}
    for source in mapping:
        if source not in folded_headers:
            raise InvalidInput(
                _("--map names a column the file does not have; its headers are: {headers}").format(
                    headers=_shown(headers)
                )
            )
    for index, header in enumerate(headers):
        label = header.replace("\ufeff", "").strip()
        folded = fold_header(header)
        if not folded:
            unknown.append((index, f"column {index + 1}"))
            continue
        if folded == _REJECT_REASON_FOLDED:
            continue
        if folded in mapping:
            target = mapping[folded]
            if target in ("", "-"):
                skipped.append(label)
                continue
            col = tbl.column(target) or tbl.match_header(target)
            if col is None or not col.importable:
                allowed = ", ".join(c.key for c in tbl.columns if c.importable)
                raise InvalidInput(
                    _(
                        "--map {label}={target}: {name} have no field {target!r}; fields: {allowed}"
                    ).format(label=label, target=target, name=tbl.name, allowed=allowed)
                )
        else:
            col = tbl.match_header(header)
        if col is None:
            unknown.append((index, label))
            continue
        if not col.importable:
            ignored.append(label)
            continue
        if col.key in made_keys:
            notices.append(
                f"column {label!r} is left out: {made_keys[col.key].label} gives {col.key}"
            )
            continue
        if col.key in seen:
            if not notes:
                raise InvalidInput(
                    _(
                        "columns {seen!r} and {label!r} both give {key}; leave one out with --map '{label}='"
                    ).format(seen=seen[col.key], label=label, key=col.key)
                )
            unknown.append((index, label))
            notices.append(
                f"columns {seen[col.key]!r} and {label!r} both give {col.key}: "
                f"{seen[col.key]!r} is used, {label!r} is kept in {tbl.notes}"
            )
            continue
        seen[col.key] = label
        fields.append((index, col))
    if not fields and not made:
        refused = UnrecognisedHeader(
            _("no header of {name} in: {headers}").format(name=tbl.name, headers=_shown(headers))
        )
        refused.headers = _shown(headers)
        raise refused
    # Columns that are not fields but that options read: not named as ignored (their
    # cells still go to notes where a table keeps them).
    read: set[str] = set()
    if not notes:
        read.update(fold_header(name) for name in used)
        read.update(fold_header(headers[i]) for c in made for i in c.indexes)
    named = [
        name
        for _, name in unknown
        if not name.startswith("column ") and fold_header(name) not in read
    ]
    present = {col.key for _, col in fields} | set(made_keys)
    for col in tbl.required_columns() if adding else ():
        if col.key not in present:
            raise InvalidInput(
                _(
                    "the file has no {key} column (headers: {headers}); name one with --map 'HEADER={key}'"
                ).format(key=col.key, headers=_shown(headers))
            )
    if tbl.customer_ref and not present & {"customer_code", "customer_name", "customer"}:
        raise InvalidInput(
            _(
                "the file names no customer: add a customer_code, customer_name or customer column "
                "(客户编号 / 客户名称 / 客户), or name one with --map 'HEADER=customer'"
            )
        )
    if named and notes:
        notices.append(
            _("columns kept in {notes}: {columns}").format(notes=notes, columns=", ".join(named))
        )
    elif named:
        # One line for the file, not a failed import: exports carry columns of their own.
        notices.append(
            _(
                "columns crm does not know, ignored: {columns} (name one with --map 'HEADER=field')"
            ).format(columns=", ".join(named))
        )
    if ignored:
        notices.append(
            _("columns crm computes itself, ignored: {columns}").format(columns=", ".join(ignored))
        )
    if skipped:
        notices.append(_("columns left out (--map): {columns}").format(columns=", ".join(skipped)))
    return Layout(
        list(headers),
        fields,
        unknown,
        notices,
        made,
        _value_maps(tbl, headers, fields, values or {}),
    )
