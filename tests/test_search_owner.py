"""Search finds phones in any form users type and contacts' names; --owner that names
nobody is refused alike by every listing (exit 3), except on a fresh database."""

from __future__ import annotations


def codes(crm, *args):
    return [c["code"] for c in crm.json("customer", "list", *args)]


def test_search_finds_phones_as_typed_and_contacts(crm):
    crm.ok("customer", "add", "华为技术", "--code", "HW", "--phone", "021 5080 1234")
    crm.ok("customer", "add", "阿里", "--code", "AL", "--phone", "13812345678")
    crm.ok("contact", "add", "AL", "张伟", "--phone", "139 0000 1111")
    assert codes(crm, "--search", "021 5080") == ["HW"]
    assert codes(crm, "--search", "0086 21 5080 1234") == ["HW"]
    assert codes(crm, "--search", "+86 138 1234 5678") == ["AL"]
    assert codes(crm, "--search", "张伟") == ["AL"]
    assert codes(crm, "--search", "139-0000") == ["AL"]


def test_an_owner_who_owns_nothing_is_refused_by_every_listing(crm):
    # A fresh database: nobody owns anything, so the README's crontab line stays quiet.
    crm.ok("init")
    quiet = crm.ok("remind", "--owner", "li", "--as-of", "2026-11-22", "--exit-code")
    assert (quiet.stdout, quiet.stderr) == ("", "")
    crm.ok("customer", "add", "阿里", "--code", "AL", "--owner", "wang", "--as-of", "2026-11-01")
    expected = "crm: nobody named 'li' owns a customer or a plan; owners: wang\n"
    for command in (
        ("customer", "list"),
        ("plan", "list"),
        ("log", "list"),
        ("overdue",),
        ("remind",),
    ):
        assert crm.fails(3, *command, "--owner", "li") == expected, command
