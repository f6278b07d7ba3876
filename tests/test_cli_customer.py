"""crm customer add|list|show|edit|history: what a salesperson sees (SPEC §1 客户档案, §3)."""

from __future__ import annotations

import json

import pytest

ON = "2026-11-01"


def add(crm, name, *extra):
    return crm.ok("customer", "add", name, "--as-of", ON, *extra)


def listed(crm, *extra):
    return [(r["code"], r["name"]) for r in crm.json("customer", "list", *extra)]


def history(crm, ref):
    return [
        (h["field"], h["old"], h["new"], h["user"], h["command"], h["reason"])
        for h in crm.json("customer", "history", ref)
    ]


# --- add -------------------------------------------------------------------------------


def test_add_generates_sequential_codes_and_reports_on_stderr(crm):
    first = add(crm, "阿里巴巴")
    second = add(crm, "Acme Trading")
    assert first.stdout == "" and second.stdout == ""
    assert first.stderr == (
        "added C000001 阿里巴巴 (potential, lead, owner tester); next due 2026-12-01\n"
    )
    assert second.stderr.startswith("added C000002 Acme Trading ")
    assert listed(crm) == [("C000001", "阿里巴巴"), ("C000002", "Acme Trading")]


def test_add_with_own_code_and_generated_code_skips_a_taken_one(crm):
    add(crm, "First", "--code", "C000002")
    add(crm, "Second")
    assert sorted(listed(crm)) == [("C000002", "First"), ("C000003", "Second")]


def test_add_json_has_the_documented_fields(crm):
    data = crm.json("customer", "add", "华为技术", "--code", "HW", "--as-of", ON)
    assert list(data) == [
        "id",
        "code",
        "name",
        "kind",
        "contact_name",
        "phone",
        "email",
        "address",
        "region",
        "industry",
        "scale",
        "need",
        "needs_note",
        "main_business",
        "budget",
        "source",
        "channel",
        "stage",
        "tier",
        "tier_locked",
        "grade",
        "value",
        "potential",
        "likelihood",
        "cooperation_plan",
        "owner",
        "intake_by",
        "project_lead",
        "birthday",
        "birthday_lunar",
        "birthday_leap",
        "tags",
        "notes",
        "created_on",
        "last_contact_at",
        "next_due_at",
        "created_at",
        "updated_at",
    ]
    assert (data["id"], data["code"], data["name"]) == (1, "HW", "华为技术")
    assert (data["kind"], data["stage"], data["tier"], data["tier_locked"]) == (
        "company",
        "lead",
        "potential",
        False,
    )
    assert (data["owner"], data["created_on"], data["next_due_at"]) == (
        "tester",
        "2026-11-01",
        "2026-12-01",
    )
    assert data["tags"] == [] and data["last_contact_at"] is None


def test_add_accepts_chinese_and_english_labels_and_stores_english_values(crm):
    data = crm.json(
        "customer",
        "add",
        "上海制造",
        "--tier",
        "核心",
        "--stage",
        "成交",
        "--kind",
        "个人",
        "--scale",
        "中型",
        "--need",
        "特殊需求",
        "--source",
        "主动咨询",
        "--channel",
        "行业展会",
        "--industry",
        "制造业",
        "--potential",
        "高",
        "--as-of",
        ON,
    )
    assert {
        k: data[k]
        for k in (
            "tier",
            "stage",
            "kind",
            "scale",
            "need",
            "source",
            "channel",
            "industry",
            "potential",
        )
    } == {
        "tier": "core",
        "stage": "customer",
        "kind": "person",
        "scale": "medium",
        "need": "special",
        "source": "inbound",
        "channel": "trade-show",
        "industry": "manufacturing",
        "potential": "high",
    }
    # core: contact every 14 days from the day it was added.
    assert data["next_due_at"] == "2026-11-15"
    english = crm.json(
        "customer", "add", "B", "--tier", "Key", "--stage", "qualified", "--as-of", ON
    )
    assert (english["tier"], english["stage"]) == ("key", "qualified")


def test_free_industry_kept_as_typed_and_tags_likelihood_and_lock(crm):
    data = crm.json(
        "customer",
        "add",
        "芯片公司",
        "--industry",
        "半导体",
        "--tags",
        "vip, 华东，vip",
        "--likelihood",
        "80%",
        "--tier",
        "key",
        "--lock",
        "--as-of",
        ON,
    )
    assert data["industry"] == "半导体"
    assert data["tags"] == ["vip", "华东"]
    assert data["likelihood"] == 80
    assert data["tier_locked"] is True
    [row] = crm("customer", "list").stdout.splitlines()[1:]
    assert "key (locked)" in row


def test_phone_stored_e164_and_shown_national(crm):
    data = crm.json("customer", "add", "Acme", "--phone", "138 0013 8000", "--as-of", ON)
    assert data["phone"] == "+8613800138000"
    ext = crm.json("customer", "add", "Beta", "--phone", "0571-8888 8888 转 123", "--as-of", ON)
    assert ext["phone"] == "+8657188888888;ext=123"
    wide = crm.json("customer", "add", "Gamma", "--phone", "１３９００１３９０００", "--as-of", ON)
    assert wide["phone"] == "+8613900139000"
    foreign = crm.json("customer", "add", "Delta", "--phone", "+1 650 253 0000", "--as-of", ON)
    assert foreign["phone"] == "+16502530000"
    csv = crm.ok("customer", "list", "--format", "csv").stdout.splitlines()
    assert csv[0] == "code,name,tier,stage,owner,phone,last_contact,next_due"
    phones = {line.split(",")[1]: line.split(",")[5] for line in csv[1:]}
    assert phones == {
        "Acme": "138 0013 8000",
        "Beta": "0571 8888 8888 转 123",
        "Gamma": "139 0013 9000",
        "Delta": "+1 650-253-0000",
    }
    shown = crm.ok("customer", "show", "Acme", "--as-of", ON).stdout
    assert ["Phone", "138", "0013", "8000"] in [line.split() for line in shown.splitlines()]


def test_email_is_normalized(crm):
    data = crm.json("customer", "add", "Acme", "--email", "  li.ming@Example.COM ", "--as-of", ON)
    assert data["email"] == "li.ming@example.com"


# --- list ------------------------------------------------------------------------------


NAMES = ["中国银行", "华为技术", "Acme Trading", "北京科技", "阿里巴巴"]


def test_list_sorts_by_pinyin_of_the_name(crm):
    for name in NAMES:
        add(crm, name)
    # a li ba ba < acme trading < bei jing ke ji < hua wei ji shu < zhong guo yin hang
    assert [n for _, n in listed(crm)] == [
        "阿里巴巴",
        "Acme Trading",
        "北京科技",
        "华为技术",
        "中国银行",
    ]


def test_list_table_is_plain_aligned_text_when_piped(crm):
    add(crm, "阿里巴巴", "--tier", "core", "--stage", "customer", "--phone", "13800138000")
    add(crm, "Acme Trading")
    assert crm.ok("customer", "list").stdout.splitlines() == [
        "Code     Name          Tier       Stage     Owner   Phone          Last contact  Next due",
        "C000001  阿里巴巴      core       customer  tester  138 0013 8000                2026-11-15",
        "C000002  Acme Trading  potential  lead      tester                               2026-12-01",
    ]


def test_list_of_nothing_prints_nothing(crm):
    crm.ok("init")
    result = crm.ok("customer", "list")
    assert result.stdout == ""
    assert crm.json("customer", "list") == []


def test_list_filters_by_tier_stage_and_owner_with_chinese_labels(crm):
    add(crm, "Alpha", "--code", "A", "--tier", "core", "--stage", "customer", "--owner", "li")
    add(crm, "Bravo", "--code", "B", "--tier", "key", "--stage", "qualified", "--owner", "wang")
    add(crm, "Charlie", "--code", "C", "--tier", "core", "--stage", "qualified", "--owner", "li")
    assert listed(crm, "--tier", "核心") == [("A", "Alpha"), ("C", "Charlie")]
    assert listed(crm, "--stage", "意向") == [("B", "Bravo"), ("C", "Charlie")]
    assert listed(crm, "--owner", "li") == [("A", "Alpha"), ("C", "Charlie")]
    assert listed(crm, "--tier", "core", "--stage", "qualified") == [("C", "Charlie")]
    # An owner who owns nothing is a typo: refused, as by every listing.
    assert crm.fails(3, "customer", "list", "--owner", "nobody") == (
        "crm: nobody named 'nobody' owns a customer or a plan; owners: li, wang\n"
    )
    assert listed(crm, "--limit", "1") == [("A", "Alpha")]


def test_owner_defaults_to_the_acting_user(crm, monkeypatch):
    monkeypatch.setenv("CRM_USER", "zhao")
    data = crm.json("customer", "add", "Alpha", "--as-of", ON)
    assert data["owner"] == "zhao"


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("华为", ["华为技术"]),
        ("huawei", ["华为技术"]),
        ("HuaWei", ["华为技术"]),
        ("hwjs", ["华为技术"]),
        ("albb", ["阿里巴巴"]),
        ("zhongguoyinhang", ["中国银行"]),
        ("zgyh", ["中国银行"]),
        ("acme", ["Acme Trading"]),
        ("ACME trading", ["Acme Trading"]),
        ("c000004", ["北京科技"]),
        ("%", []),
        ("nothing-like-this", []),
    ],
)
def test_list_search_by_name_pinyin_initials_and_code(crm, search, expected):
    for name in NAMES:
        add(crm, name)
    assert [n for _, n in listed(crm, "--search", search)] == expected


def test_list_search_by_phone_digits_as_stored_and_as_shown(crm):
    add(crm, "Mobile", "--phone", "138 0013 8000")
    add(crm, "Landline", "--phone", "0571-8888 8888")
    assert [n for _, n in listed(crm, "--search", "13800")] == ["Mobile"]
    # The way the number is shown (and dialled) in China finds it too.
    assert [n for _, n in listed(crm, "--search", "0571 8888 8888")] == ["Landline"]


# --- show ------------------------------------------------------------------------------


def test_show_json_shape_with_contacts_followups_plans_and_history(crm):
    add(crm, "华为技术", "--code", "HW", "--tier", "key")
    crm.ok("contact", "add", "HW", "张三", "--title", "采购经理")
    crm.ok(
        "log",
        "HW",
        "--channel",
        "phone",
        "--summary",
        "谈价格",
        "--at",
        "2026-11-10 09:30",
        "--next",
        "2026-11-17",
        "--next-action",
        "发报价",
    )
    data = crm.json("customer", "show", "huawei", "--as-of", "2026-11-20")
    documented = ["customer", "overdue_days", "contacts", "followups", "plans", "history"]
    assert [key for key in data if key in documented] == documented
    assert data["customer"]["code"] == "HW"
    assert data["customer"]["last_contact_at"] == "2026-11-10 09:30"
    assert data["customer"]["next_due_at"] == "2026-11-17"
    assert data["overdue_days"] == 3
    assert data["contacts"] == [
        {
            "id": 1,
            "customer_id": 1,
            "name": "张三",
            "title": "采购经理",
            "phone": None,
            "email": None,
            "gender": None,
            "birthday": None,
            "birthday_lunar": False,
            "birthday_leap": False,
            "notes": None,
        }
    ]
    assert data["followups"] == [
        {
            "id": 1,
            "customer_id": 1,
            "contact_id": None,
            "at": "2026-11-10 09:30",
            "channel": "phone",
            "summary": "谈价格",
            "result": None,
            "owner": "tester",
            "project_id": None,
        }
    ]
    assert data["plans"] == [
        {
            "id": 1,
            "customer_id": 1,
            "due_on": "2026-11-17",
            "due_time": None,
            "channel": "phone",
            "content": "发报价",
            "owner": "tester",
            "status": "open",
            "followup_id": None,
        }
    ]
    assert [(h["field"], h["new"], h["command"]) for h in data["history"]] == [
        ("contact", "added 张三", "contact add"),
        ("customer", "created", "customer add"),
    ]
    assert set(data["history"][0]) == {
        "id",
        "customer_id",
        "at",
        "user",
        "field",
        "old",
        "new",
        "command",
        "reason",
    }


def test_show_is_not_overdue_before_the_due_day(crm):
    add(crm, "Alpha", "--tier", "key")
    assert crm.json("customer", "show", "Alpha", "--as-of", "2026-12-01")["overdue_days"] == 0
    assert crm.json("customer", "show", "Alpha", "--as-of", "2026-12-02")["overdue_days"] == 1


def test_show_table_profile_and_history(crm):
    add(
        crm, "Acme Trading", "--code", "AC", "--tier", "核心", "--stage", "成交", "--region", "杭州"
    )
    out = crm.ok("customer", "show", "AC", "--as-of", "2026-11-20").stdout
    lines = out.splitlines()
    assert lines[0] == "Acme Trading (AC)"
    fields = [line.split() for line in lines]
    assert ["Tier", "core", "核心"] in fields
    assert ["Stage", "customer", "成交"] in fields
    assert ["Region", "杭州"] in fields
    assert ["Added", "2026-11-01"] in fields
    assert ["Next", "due", "2026-11-15", "(5", "days", "overdue)"] in fields
    assert "History" in lines
    assert lines[-1].endswith("customer: — → created by tester")


def test_show_table_accepts_only_table_or_json(crm):
    add(crm, "Alpha")
    err = crm.fails(2, "customer", "show", "Alpha", "--format", "csv")
    assert err == "crm: unknown format 'csv'; expected one of: table, json\n"


def test_customer_found_by_id_code_exact_name_and_unique_part(crm):
    add(crm, "华为技术", "--code", "HW")
    add(crm, "中国银行", "--code", "BOC")
    for ref in ("1", "HW", "hw", "华为 技术", "华为", "huawei", "hwjs"):
        assert crm.json("customer", "show", ref)["customer"]["code"] == "HW", ref
    assert crm.json("customer", "show", "银行")["customer"]["code"] == "BOC"


# --- edit and history ------------------------------------------------------------------


def test_edit_records_old_new_user_command_and_reason(crm, monkeypatch):
    add(crm, "Acme", "--code", "AC", "--email", "a@example.com")
    monkeypatch.setenv("CRM_USER", "wang")
    result = crm.ok(
        "customer",
        "edit",
        "AC",
        "--region",
        "杭州",
        "--email",
        "b@example.com",
        "--reason",
        "moved",
    )
    assert result.stdout == ""
    assert sorted(result.stderr.splitlines()) == [
        "AC email: a@example.com → b@example.com",
        "AC region: — → 杭州",
    ]
    rows = history(crm, "AC")
    assert sorted(rows[:2]) == [
        ("email", "a@example.com", "b@example.com", "wang", "customer edit", "moved"),
        ("region", None, "杭州", "wang", "customer edit", "moved"),
    ]
    assert rows[2:] == [("customer", None, "created", "tester", "customer add", None)]


def test_edit_clears_a_field_with_an_empty_value(crm):
    add(crm, "Acme", "--code", "AC", "--email", "a@example.com", "--phone", "13800138000")
    crm.ok("customer", "edit", "AC", "--email", "", "--phone", "")
    data = crm.json("customer", "show", "AC")["customer"]
    assert (data["email"], data["phone"]) == (None, None)
    assert sorted(history(crm, "AC")[:2]) == [
        ("email", "a@example.com", None, "tester", "customer edit", None),
        ("phone", "+8613800138000", None, "tester", "customer edit", None),
    ]


def test_edit_with_no_real_change_records_nothing(crm):
    add(crm, "Acme", "--code", "AC", "--region", "杭州")
    result = crm.ok("customer", "edit", "AC", "--region", "杭州")
    assert result.stderr == "AC Acme: nothing changed\n"
    assert len(history(crm, "AC")) == 1


def test_edit_name_keeps_pinyin_sort_and_search_current(crm):
    add(crm, "Alpha", "--code", "A")
    add(crm, "Bravo", "--code", "B")
    crm.ok("customer", "edit", "A", "--name", "中国银行")
    assert [c for c, _ in listed(crm)] == ["B", "A"]
    assert listed(crm, "--search", "zgyh") == [("A", "中国银行")]
    assert listed(crm, "--search", "alpha") == []


def test_edit_code_and_phone_history_holds_stored_values(crm):
    add(crm, "Acme", "--phone", "0571-8888 8888 转 123")
    crm.ok("customer", "edit", "C000001", "--code", "ACME", "--phone", "13900139000")
    assert listed(crm) == [("ACME", "Acme")]
    assert sorted(history(crm, "ACME")[:2]) == [
        ("code", "C000001", "ACME", "tester", "customer edit", None),
        ("phone", "+8657188888888;ext=123", "+8613900139000", "tester", "customer edit", None),
    ]


def test_edit_channel_to_outreach_moves_the_due_date(crm):
    add(crm, "Alpha", "--code", "A", "--tier", "general")
    assert crm.json("customer", "show", "A")["customer"]["next_due_at"] == "2027-01-30"
    crm.ok("customer", "edit", "A", "--channel", "外拓")
    assert crm.json("customer", "show", "A")["customer"]["next_due_at"] == "2026-11-08"


def test_edit_birthday_records_only_the_fields_a_user_sees(crm):
    add(crm, "Acme", "--code", "AC", "--birthday", "1985-03-08")
    result = crm.ok("customer", "edit", "AC", "--birthday", "1985-05-06", "--reason", "typo")
    assert result.stderr == "AC birthday: 1985-03-08 → 1985-05-06\n"
    assert history(crm, "AC") == [
        ("birthday", "1985-03-08", "1985-05-06", "tester", "customer edit", "typo"),
        ("customer", None, "created", "tester", "customer add", None),
    ]
    crm.ok("customer", "edit", "AC", "--birthday", "08-15", "--lunar")
    assert sorted(row[:3] for row in history(crm, "AC")[:2]) == [
        ("birthday", "1985-05-06", "08-15"),
        ("birthday_lunar", "False", "True"),
    ]
    shown = crm.json("customer", "show", "AC")["customer"]
    assert (shown["birthday"], shown["birthday_lunar"]) == ("08-15", True)


def test_history_table_and_csv(crm):
    add(crm, "Acme", "--code", "AC")
    crm.ok("customer", "edit", "AC", "--region", "杭州", "--reason", "moved")
    table = crm.ok("customer", "history", "AC").stdout.splitlines()
    assert table[0].split() == ["When", "Who", "Field", "Old", "New", "Command", "Reason"]
    assert table[1].split()[2:] == ["tester", "region", "杭州", "customer", "edit", "moved"]
    csv = crm.ok("customer", "history", "AC", "--format", "csv").stdout.splitlines()
    assert csv[0] == "at,user,field,old,new,command,reason"
    assert csv[1].split(",")[1:] == ["tester", "region", "", "杭州", "customer edit", "moved"]
    assert len(crm.json("customer", "history", "AC", "--limit", "1")) == 1


def test_history_json_is_valid_for_scripts(crm):
    add(crm, "Acme", "--code", "AC", "--reason", "new lead from the fair")
    raw = crm.ok("customer", "history", "AC", "--format", "json").stdout
    [row] = json.loads(raw)
    assert (row["field"], row["new"], row["reason"]) == (
        "customer",
        "created",
        "new lead from the fair",
    )
