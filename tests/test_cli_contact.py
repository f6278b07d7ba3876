"""crm contact add|list|edit: the people at a customer, with solar or lunar birthdays."""

from __future__ import annotations

import pytest


@pytest.fixture
def hw(crm):
    crm.ok("customer", "add", "华为技术", "--code", "HW", "--as-of", "2026-11-01")
    return "HW"


def contacts(crm, *extra):
    return crm.json("contact", "list", *extra)


def test_add_contact_with_solar_birthday_and_normalized_phone_and_email(crm, hw):
    result = crm.ok(
        "contact",
        "add",
        "huawei",
        "张三",
        "--title",
        "采购经理",
        "--phone",
        "138 0013 8000",
        "--email",
        "zhang.san@Huawei.COM",
        "--gender",
        "男",
        "--birthday",
        "1985-03-08",
        "--notes",
        "喜欢钓鱼",
    )
    assert result.stdout == ""
    assert result.stderr == "added contact #1 张三 to HW 华为技术\n"
    assert contacts(crm) == [
        {
            "id": 1,
            "customer_id": 1,
            "name": "张三",
            "title": "采购经理",
            "phone": "+8613800138000",
            "email": "zhang.san@huawei.com",
            "gender": "male",
            "birthday": "1985-03-08",
            "birthday_lunar": False,
            "birthday_leap": False,
            "notes": "喜欢钓鱼",
            "customer_code": "HW",
            "customer_name": "华为技术",
        }
    ]


def test_add_json_output(crm, hw):
    data = crm.json("contact", "add", hw, "李四", "--birthday", "03/08")
    assert (data["id"], data["name"], data["birthday"], data["customer_code"]) == (
        1,
        "李四",
        "03-08",
        "HW",
    )


@pytest.mark.parametrize(
    ("args", "birthday", "lunar", "leap", "shown"),
    [
        (["--birthday", "1985-03-08"], "1985-03-08", False, False, "1985-03-08"),
        (["--birthday", "3-8"], "03-08", False, False, "03-08"),
        (["--birthday", "02-29"], "02-29", False, False, "02-29"),
        (["--birthday", "1985年3月8日"], "1985-03-08", False, False, "1985-03-08"),
        (["--birthday", "08-15", "--lunar"], "08-15", True, False, "08-15 (农历)"),
        # The first lunar month of 2025 has 30 days, the second 29.
        (["--birthday", "2025-01-30", "--lunar"], "2025-01-30", True, False, "2025-01-30 (农历)"),
        # 2023 had a leap second month (闰二月).
        (
            ["--birthday", "2023-02-15", "--lunar", "--leap"],
            "2023-02-15",
            True,
            True,
            "2023-02-15 (农历闰月)",
        ),
    ],
)
def test_birthdays_solar_and_lunar(crm, hw, args, birthday, lunar, leap, shown):
    crm.ok("contact", "add", hw, "王五", *args)
    [row] = contacts(crm)
    assert (row["birthday"], row["birthday_lunar"], row["birthday_leap"]) == (
        birthday,
        lunar,
        leap,
    )
    table = crm.ok("contact", "list").stdout.splitlines()
    assert table[1].endswith(shown)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--birthday", "1990-02-30"], "crm: no such date '1990-02-30'\n"),
        (["--birthday", "2026-13-01"], "crm: no such date '2026-13-01'\n"),
        (["--birthday", "soon"], "crm: cannot read birthday 'soon'; use 1985-03-08 or 03-08\n"),
        (
            ["--birthday", "04-01", "--leap"],
            "crm: --leap applies to lunar (--lunar) birthdays only\n",
        ),
        (
            ["--birthday", "2024-02-15", "--lunar", "--leap"],
            "crm: lunar year 2024 has no leap month 2 ('2024-02-15')\n",
        ),
        (
            ["--birthday", "2025-02-30", "--lunar"],
            "crm: lunar month 2 of 2025 has no day 30 ('2025-02-30')\n",
        ),
        (
            ["--birthday", "13-01", "--lunar"],
            "crm: no lunar date '13-01': months are 1–12, days 1–30\n",
        ),
        (["--phone", "12345"], "crm: invalid phone number '12345'\n"),
        (["--email", "no-at-sign"], "crm: invalid email address 'no-at-sign'\n"),
        (
            ["--gender", "x"],
            "crm: unknown gender 'x'; expected one of: male (男), female (女)\n",
        ),
    ],
)
def test_bad_contact_details_are_refused_and_nothing_is_added(crm, hw, args, message):
    err = crm.fails(2, "contact", "add", hw, "王五", *args)
    assert err == message
    assert contacts(crm) == []
    assert [h["field"] for h in crm.json("customer", "history", hw)] == ["customer"]


def test_contact_for_unknown_customer_is_not_found(crm, hw):
    err = crm.fails(3, "contact", "add", "nobody", "王五")
    assert err == "crm: no customer matches 'nobody'\n"
    assert contacts(crm) == []


def test_list_orders_by_customer_pinyin_then_added_and_filters_by_customer(crm, hw):
    crm.ok("customer", "add", "阿里巴巴", "--code", "ALI", "--as-of", "2026-11-01")
    crm.ok("contact", "add", hw, "张三", "--phone", "13800138000")
    crm.ok("contact", "add", "ALI", "马六")
    crm.ok("contact", "add", hw, "李四", "--title", "总经理")
    assert [(c["customer_code"], c["name"]) for c in contacts(crm)] == [
        ("ALI", "马六"),
        ("HW", "张三"),
        ("HW", "李四"),
    ]
    assert [c["name"] for c in contacts(crm, hw)] == ["张三", "李四"]
    assert crm.ok("contact", "list").stdout.splitlines() == [
        "Id  Customer      Name  Title   Phone          Email  Birthday",
        " 2  ALI 阿里巴巴  马六",
        " 1  HW 华为技术   张三          138 0013 8000",
        " 3  HW 华为技术   李四  总经理",
    ]
    csv = crm.ok("contact", "list", hw, "--format", "csv").stdout.splitlines()
    assert csv == [
        "id,customer,name,title,phone,email,birthday",
        "1,HW 华为技术,张三,,138 0013 8000,,",
        "3,HW 华为技术,李四,总经理,,,",
    ]


def test_edit_contact_by_name_and_id_with_history(crm, hw):
    crm.ok(
        "contact",
        "add",
        hw,
        "张三",
        "--title",
        "采购经理",
        "--email",
        "zs@huawei.com",
        "--birthday",
        "1985-03-08",
    )
    result = crm.ok("contact", "edit", hw, "张三", "--title", "总经理", "--email", "")
    assert sorted(result.stderr.splitlines()) == [
        "contact #1 email: zs@huawei.com → —",
        "contact #1 title: 采购经理 → 总经理",
    ]
    crm.ok("contact", "edit", hw, "1", "--birthday", "05-06", "--lunar")
    [row] = contacts(crm)
    assert (row["title"], row["email"]) == ("总经理", None)
    assert (row["birthday"], row["birthday_lunar"], row["birthday_leap"]) == ("05-06", True, False)
    changes = sorted(
        (h["field"], h["old"], h["new"], h["command"])
        for h in crm.json("customer", "history", hw)
        if h["field"].startswith("contact.")
    )
    assert changes == [
        ("contact.1.birthday", "1985-03-08", "05-06", "contact edit"),
        ("contact.1.birthday_lunar", "False", "True", "contact edit"),
        ("contact.1.email", "zs@huawei.com", None, "contact edit"),
        ("contact.1.title", "采购经理", "总经理", "contact edit"),
    ]


def test_edit_lunar_flag_alone_reinterprets_the_kept_birthday(crm, hw):
    crm.ok("contact", "add", hw, "张三", "--birthday", "2023-02-15")
    crm.ok("contact", "edit", hw, "张三", "--lunar", "--leap")
    [row] = contacts(crm)
    assert (row["birthday"], row["birthday_lunar"], row["birthday_leap"]) == (
        "2023-02-15",
        True,
        True,
    )
    crm.ok("contact", "edit", hw, "张三", "--birthday", "")
    [row] = contacts(crm)
    assert (row["birthday"], row["birthday_lunar"], row["birthday_leap"]) == (None, False, False)


def test_edit_with_nothing_changed(crm, hw):
    crm.ok("contact", "add", hw, "张三", "--title", "经理")
    result = crm.ok("contact", "edit", hw, "张三", "--title", "经理")
    assert result.stderr == "contact #1 张三: nothing changed\n"


def test_edit_refuses_empty_name_and_bad_phone_without_writing(crm, hw):
    crm.ok("contact", "add", hw, "张三", "--phone", "13800138000")
    before = contacts(crm)
    assert crm.fails(2, "contact", "edit", hw, "张三", "--name", "") == (
        "crm: name must not be empty\n"
    )
    assert crm.fails(2, "contact", "edit", hw, "张三", "--phone", "abc") == (
        "crm: invalid phone number 'abc'\n"
    )
    assert contacts(crm) == before


def test_edit_unknown_or_ambiguous_contact(crm, hw):
    crm.ok("contact", "add", hw, "张三")
    crm.ok("contact", "add", hw, "张三丰")
    crm.ok("contact", "add", hw, "李四")
    assert crm.fails(3, "contact", "edit", hw, "王五", "--title", "x") == (
        "crm: 华为技术 has no contact matching '王五'\n"
    )
    err = crm.fails(3, "contact", "edit", hw, "张", "--title", "x")
    assert err == "crm: contact '张' is ambiguous: 1 张三; 2 张三丰\n"
    # An exact name wins over a longer name that contains it; a unique part finds one.
    crm.ok("contact", "edit", hw, "张三", "--title", "经理")
    crm.ok("contact", "edit", hw, "三丰", "--title", "顾问")
    assert [c["title"] for c in contacts(crm)] == ["经理", "顾问", None]
    crm.ok("customer", "add", "阿里巴巴", "--code", "ALI", "--as-of", "2026-11-01")
    crm.ok("contact", "add", "ALI", "马六")
    # Contact #4 belongs to another customer: not reachable through HW.
    assert crm.fails(3, "contact", "edit", hw, "4", "--title", "x") == (
        "crm: 华为技术 has no contact matching '4'\n"
    )


def test_a_contact_is_found_by_its_pinyin_as_customers_are(crm, hw):
    crm.ok("contact", "add", hw, "王芳")
    crm.ok("contact", "add", hw, "张三")
    crm.ok("contact", "add", hw, "张三丰")
    crm.ok("contact", "edit", hw, "wangfang", "--title", "采购经理")
    crm.ok("contact", "edit", hw, "wf", "--title", "总经理")
    crm.ok("contact", "edit", hw, "zhangsanfeng", "--title", "顾问")
    assert [c["title"] for c in contacts(crm)] == ["总经理", None, "顾问"]
    # zs is the initials of 张三 alone; zhangsan starts both names, and 张三 is exact.
    crm.ok("contact", "edit", hw, "zs", "--title", "经理")
    assert [c["title"] for c in contacts(crm)] == ["总经理", "经理", "顾问"]
    assert crm.fails(3, "contact", "edit", hw, "zhang", "--title", "x") == (
        "crm: contact 'zhang' is ambiguous: 2 张三; 3 张三丰\n"
    )
    assert crm.fails(3, "contact", "edit", hw, "lisi", "--title", "x") == (
        "crm: 华为技术 has no contact matching 'lisi'\n"
    )


def test_adding_the_primary_contact_again_completes_it_rather_than_doubling_it(crm):
    crm.ok(
        "customer", "add", "华强电子", "--code", "HQ", "--contact", "方倩", "--as-of", "2026-11-01"
    )
    result = crm.ok("contact", "add", "HQ", "方倩", "--title", "总经理", "--phone", "15395482717")
    assert result.stderr == "completed contact #1 方倩 of HQ 华强电子\n"
    assert [(c["id"], c["name"], c["title"], c["phone"]) for c in contacts(crm)] == [
        (1, "方倩", "总经理", "+8615395482717")
    ]
    # A second 方倩 whose details differ is another person: added beside her.
    other = crm.ok("contact", "add", "HQ", "方倩", "--phone", "13800138000")
    assert other.stderr == "added contact #2 方倩 to HQ 华强电子\n"
    assert len(contacts(crm)) == 2
