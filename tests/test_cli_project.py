"""crm project … (SPEC §1 Project; seed 000 第十三条/第十四条, 002 四, 003 第七条).

Every move is stamped with --at/--as-of in the past, so nothing depends on today's date.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest


@pytest.fixture
def shop(crm):
    crm.add_customer("华为技术", "HW", "qualified", owner="li", on="2026-01-05")
    crm.add_customer("阿里巴巴", "AL", "customer", owner="wang", on="2026-01-05")
    return crm


@pytest.fixture
def archive(shop, isolated, engine_name):
    """The archive folder: beside the SQLite file, or configured (a server has no file)."""
    if engine_name == "sqlite":
        return isolated / "crm.db.archive"
    shop.ok("config", "set", "project.archive_dir", str(isolated / "archive"))
    return isolated / "archive"


def add(crm, ref="HW", name="2026 服务器扩容", *extra, on="2026-01-05"):
    crm.ok(
        "project", "add", ref, name, "--amount", "860000", "--expected", "2026-03-31",
        "--at", f"{on} 09:00", "--as-of", on, *extra,
    )  # fmt: skip


def stage(crm, pid, to, at, *extra):
    return crm.ok("project", "stage", pid, to, "--at", at, "--as-of", at[:10], *extra)


def approve(crm, pid="1", at="2026-01-08 10:00", *extra):
    return crm.ok("project", "approve", pid, "--at", at, "--as-of", at[:10], *extra)


def show(crm, pid="1", as_of="2026-02-01"):
    return crm.json("project", "show", pid, "--as-of", as_of)


def history(crm, ref="HW"):
    return [
        (h["field"], h["old"], h["new"], h["reason"])
        for h in reversed(crm.json("customer", "history", ref))
    ]


# --- adding -----------------------------------------------------------------------------------


def test_add_records_the_project_in_evaluation_with_history(shop):
    result = shop.ok(
        "project", "add", "华为", "2026 服务器扩容", "--amount", "¥860,000.50",
        "--expected", "2026-03-31", "--lead", "wang", "--product", "服务器",
        "--likelihood", "60%", "--at", "2026-01-05 09:00", "--as-of", "2026-01-05",
        "--format", "json",
    )  # fmt: skip
    import json

    data = json.loads(result.stdout)
    assert data == {
        "id": 1,
        "customer_id": 1,
        "code": "HW",
        "customer_name": "华为技术",
        "name": "2026 服务器扩容",
        "stage": "evaluation",
        "amount": "860000.50",
        "currency": "CNY",
        "likelihood": 60,
        "product": "服务器",
        "added_on": "2026-01-05",
        "expected_on": "2026-03-31",
        "closed_on": None,
        "owner": "li",
        "lead": "wang",
        "approved": False,
        "approved_by": None,
        "approved_at": None,
        "lost_reason": None,
        "late": False,
        "days_late": None,
    }
    assert result.stderr == (
        "project #1 2026 服务器扩容 of HW 华为技术 added (¥860,000.50, expected 2026-03-31)\n"
    )
    assert history(shop)[-1] == ("project.1", None, "added 2026 服务器扩容 (¥860,000.50)", None)
    assert [(s["stage"], s["at"], s["by"]) for s in show(shop)["stages"]] == [
        ("evaluation", "2026-01-05 09:00", "tester")
    ]


@pytest.mark.parametrize(
    ("extra", "reason"),
    [
        (("--amount", "-5"), "project amount must not be negative, not '-5'"),
        (("--amount", "abc"), "amount 'abc' is not a number"),
        (("--amount", "1.234"), "amount '1.234' has more than two decimals"),
        (("--likelihood", "120"), "likelihood must be a whole percentage 0–100, not '120'"),
        (("--expected", "2026-01-04"),
         "--expected 2026-01-04 is before the project was added (2026-01-05)"),
        (("--at", "2026-01-06 09:00"), "2026-01-06 09:00 is in the future"),
    ],
)  # fmt: skip
def test_bad_input_on_add_is_refused_and_writes_nothing(shop, extra, reason):
    err = shop.fails(
        2, "project", "add", "HW", "x", "--as-of", "2026-01-05",
        *(("--at", "2026-01-05 09:00") if "--at" not in extra else ()), *extra,
    )  # fmt: skip
    assert err == f"crm: {reason}\n"
    assert shop.json("project", "list")["projects"] == []
    assert [h[0] for h in history(shop)] == ["customer"]


def test_unknown_projects_and_customers(shop):
    assert shop.fails(3, "project", "show", "17") == "crm: no project #17\n"
    assert shop.fails(3, "project", "stage", "17", "negotiation") == "crm: no project #17\n"
    assert shop.fails(3, "project", "approve", "17") == "crm: no project #17\n"
    assert (
        shop.fails(2, "project", "show", "abc") == "crm: project id must be a number, not 'abc'\n"
    )
    assert shop.fails(3, "project", "add", "nobody", "x").startswith("crm: no customer matches")
    add(shop)
    err = shop.fails(2, "project", "stage", "1", "finished")
    assert err.startswith(
        "crm: unknown project stage 'finished'; expected one of: evaluation (项目评估)"
    )


# --- the stage machine ------------------------------------------------------------------------


def test_stages_move_forward_and_may_skip(shop):
    add(shop)
    stage(shop, "1", "合作洽谈", "2026-01-07 10:00", "--note", "首轮报价")
    approve(shop, "1", "2026-01-08 10:00", "--by", "zhao")
    stage(shop, "1", "implementation", "2026-01-20 10:00")  # contract skipped
    stage(shop, "1", "completed", "2026-03-01 10:00")
    shown = show(shop, as_of="2026-04-01")
    assert [(s["stage"], s["from"], s["at"], s["days"], s["note"]) for s in shown["stages"]] == [
        ("evaluation", None, "2026-01-05 09:00", 2, None),
        ("negotiation", "evaluation", "2026-01-07 10:00", 13, "首轮报价"),
        ("implementation", "negotiation", "2026-01-20 10:00", 40, None),
        ("completed", "implementation", "2026-03-01 10:00", None, None),
    ]
    assert (shown["stage"], shown["closed_on"], shown["approved_by"]) == (
        "completed",
        "2026-03-01",
        "zhao",
    )
    assert shown["approved_at"] == "2026-01-08 10:00"
    moves = [h[1:3] for h in history(shop) if h[0] == "project.1.stage"]
    assert moves == [
        ("evaluation", "negotiation"),
        ("negotiation", "implementation"),
        ("implementation", "completed"),
    ]


@pytest.mark.parametrize(
    ("steps", "bad", "reason"),
    [
        ((("negotiation", "2026-01-07 10:00"),), ("evaluation", "2026-01-08 10:00"),
         "project #1 is in negotiation: stages move forward only (evaluation comes before it)"),
        ((), ("evaluation", "2026-01-08 10:00"), "project #1 is already evaluation"),
        ((), ("contract", "2026-01-08 10:00"),
         "project #1 is not approved (立项审批): approve it before it moves to contract "
         "(crm project approve 1)"),
        ((), ("completed", "2026-01-08 10:00"),
         "project #1 is not approved (立项审批): approve it before it moves to completed "
         "(crm project approve 1)"),
        ((), ("lost", "2026-01-08 10:00"),
         "moving project #1 to lost needs --reason: why it failed (失败原因)"),
        ((("lost", "2026-01-07 10:00", "--reason", "价格不符"),), ("negotiation", "2026-01-08 10:00"),
         "project #1 is lost: reopen it first (crm project reopen 1 --reason …)"),
        ((("negotiation", "2026-01-07 10:00"),), ("lost", "2026-01-06 10:00", "--reason", "x"),
         "2026-01-06 10:00 is before the last stage move of project #1 (2026-01-07 10:00)"),
        ((), ("negotiation", "2026-01-04 10:00"),
         "2026-01-04 10:00 is before project #1 was added (2026-01-05)"),
    ],
)  # fmt: skip
def test_refused_moves_write_nothing(shop, steps, bad, reason):
    add(shop)
    for to, at, *extra in steps:
        stage(shop, "1", to, at, *extra)
    before, logged = show(shop), history(shop)
    to, at, *extra = bad
    assert shop.fails(
        2, "project", "stage", "1", to, "--at", at, "--as-of", "2026-01-10", *extra
    ) == (f"crm: {reason}\n")
    assert show(shop) == before
    assert history(shop) == logged


def test_lost_needs_a_reason_and_reopen_returns_to_the_stage_before(shop):
    add(shop)
    stage(shop, "1", "negotiation", "2026-01-07 10:00")
    stage(shop, "1", "失败", "2026-01-09 10:00", "--reason", "价格不符")
    shown = show(shop)
    assert (shown["stage"], shown["lost_reason"], shown["closed_on"]) == (
        "lost",
        "价格不符",
        "2026-01-09",
    )
    assert shop.fails(2, "project", "reopen", "1", "--as-of", "2026-01-10") == (
        "crm: reopening project #1 needs --reason\n"
    )
    result = shop.ok(
        "project", "reopen", "1", "--reason", "客户重新询价",
        "--at", "2026-01-12 10:00", "--as-of", "2026-01-12",
    )  # fmt: skip
    assert result.stderr == "project #1 2026 服务器扩容: lost → negotiation (reopened)\n"
    shown = show(shop)
    assert (shown["stage"], shown["lost_reason"], shown["closed_on"]) == ("negotiation", None, None)
    assert history(shop)[-1] == ("project.1.stage", "lost", "negotiation", "客户重新询价")
    assert shop.fails(
        2, "project", "reopen", "1", "--reason", "x", "--at", "2026-01-13 10:00",
        "--as-of", "2026-01-13",
    ) == "crm: project #1 is negotiation, not lost or completed: nothing to reopen\n"  # fmt: skip


def test_approval_is_not_needed_when_the_policy_says_so(shop):
    shop.ok("config", "set", "project.approval_required", "false")
    add(shop)
    stage(shop, "1", "contract", "2026-01-07 10:00")
    assert show(shop)["approved"] is False


def test_approval_defaults_to_the_acting_user_and_is_given_once(shop):
    add(shop)
    result = approve(shop)
    assert result.stderr == "project #1 2026 服务器扩容 approved by tester at 2026-01-08 10:00\n"
    assert shop.fails(2, "project", "approve", "1", "--as-of", "2026-01-09") == (
        "crm: project #1 was already approved by tester on 2026-01-08 10:00\n"
    )
    assert ("project.1.approval", None, "approved by tester", None) in history(shop)


def test_the_first_contract_makes_a_prospect_a_customer_with_its_history(shop):
    add(shop)
    approve(shop)
    result = stage(shop, "1", "签订合同", "2026-01-10 10:00")
    assert result.stderr == (
        "project #1 2026 服务器扩容: evaluation → contract at 2026-01-10 10:00\n"
        "HW 华为技术 stage: qualified → customer\n"
    )
    rows = shop.json("customer", "history", "HW")
    promoted = [h for h in rows if h["field"] == "stage"]
    assert [(h["old"], h["new"], h["command"], h["reason"]) for h in promoted] == [
        ("qualified", "customer", "project stage",
         "project #1 2026 服务器扩容 reached contract (签订合同)"),
    ]  # fmt: skip
    assert shop.json("customer", "show", "HW")["customer"]["stage"] == "customer"
    # a customer already won is left as it is
    add(shop, "AL", "数据中心")
    approve(shop, "2")
    stage(shop, "2", "contract", "2026-01-10 10:00")
    assert [h for h in shop.json("customer", "history", "AL") if h["field"] == "stage"] == []


# --- late projects: list, overdue, remind -------------------------------------------------------


def late_shop(shop):
    add(shop)  # HW, expected 2026-03-31
    add(shop, "AL", "数据中心", "--expected", "2026-06-30")
    add(shop, "AL", "已完成项目", "--expected", "2026-02-01")
    shop.ok("config", "set", "project.approval_required", "false")
    stage(shop, "3", "completed", "2026-01-20 10:00")
    return shop


def test_list_late_at_a_fixed_day(shop):
    late_shop(shop)
    data = shop.json("project", "list", "--late", "--as-of", "2026-04-05")
    assert [(p["id"], p["late"], p["days_late"]) for p in data["projects"]] == [(1, True, 5)]
    data = shop.json("project", "list", "--as-of", "2026-04-05")
    assert [(p["id"], p["days_late"]) for p in data["projects"]] == [(1, 5), (2, None), (3, None)]
    assert [p["id"] for p in shop.json("project", "list", "--open")["projects"]] == [1, 2]
    assert [p["id"] for p in shop.json("project", "list", "--owner", "wang")["projects"]] == [2, 3]
    assert [p["id"] for p in shop.json("project", "list", "--stage", "完成")["projects"]] == [3]
    assert [p["id"] for p in shop.json("project", "list", "AL")["projects"]] == [2, 3]


def test_a_late_project_makes_its_customer_overdue_with_the_project_as_reason(shop):
    late_shop(shop)
    # AL is a customer in tier potential added 2026-01-05; pin its cadence far away
    shop.ok("config", "set", "cadence.potential.days", "365")
    rows = shop.json("overdue", "--as-of", "2026-04-05")
    assert [(r["code"], r["due_on"], r["days_overdue"]) for r in rows] == [("HW", "2026-03-31", 5)]
    assert rows[0]["reasons"] == [
        {
            "rule": "project",
            "due_on": "2026-03-31",
            "days_overdue": 5,
            "text": "project #1 2026 服务器扩容 expected 2026-03-31",
        }
    ]
    assert shop.json("overdue", "--as-of", "2026-03-31") == []
    assert shop.json("overdue", "--as-of", "2026-04-05", "--owner", "wang") == []
    # moving it on does not end it; closing it does
    stage(shop, "1", "completed", "2026-04-06 10:00")
    assert shop.json("overdue", "--as-of", "2026-04-07") == []


def test_late_projects_join_the_cadence_reasons_in_day_order(shop):
    late_shop(shop)
    rows = {r["code"]: r for r in shop.json("overdue", "--as-of", "2026-04-05")}
    assert [r["rule"] for r in rows["HW"]["reasons"]] == ["contact", "project"]
    assert (rows["HW"]["due_on"], rows["HW"]["days_overdue"]) == ("2026-02-04", 60)


def test_the_digest_has_a_projects_section_after_plans(shop):
    late_shop(shop)
    digest = shop.json("remind", "--as-of", "2026-04-05")
    keys = list(digest)
    assert keys[keys.index("plans") + 1] == "projects"
    assert digest["counts"]["projects"] == 1
    assert digest["projects"] == [
        {
            "duty": "project late",
            "customer_id": 1,
            "code": "HW",
            "name": "华为技术",
            "owner": "li",
            "detail": "project #1 2026 服务器扩容 expected 2026-03-31 (evaluation)",
            "due_on": "2026-03-31",
            "days_late": 5,
            "project_id": 1,
            "stage": "evaluation",
        }
    ]
    # the project is not repeated among the overdue contacts
    assert all("project" not in i["rules"] for i in digest["overdue"])
    assert shop.json("remind", "--as-of", "2026-04-05", "--owner", "wang")["projects"] == []


# --- success rate ---------------------------------------------------------------------------------


def test_success_rate_with_its_definition(shop):
    shop.ok("config", "set", "project.approval_required", "false")
    for name in ("A", "B", "C", "D"):
        add(shop, "HW", name)
    stage(shop, "1", "completed", "2026-01-10 10:00")
    stage(shop, "2", "completed", "2026-01-10 10:00")
    stage(shop, "3", "lost", "2026-01-10 10:00", "--reason", "预算取消")
    data = shop.json("project", "list")
    assert data["success_rate"] == {
        "value": 0.6667,
        "definition": "completed ÷ (completed + lost)",
        "completed": 2,
        "lost": 1,
    }
    result = shop.ok("project", "list", "--open")
    assert result.stderr == (
        "project success rate 项目成功率 66.7% = completed ÷ (completed + lost) = 2 ÷ 3\n"
    )
    empty = shop.json("project", "list", "AL")["success_rate"]
    assert (empty["value"], empty["completed"], empty["lost"]) == (None, 0, 0)


# --- stage durations --------------------------------------------------------------------------------


def test_stage_durations_count_exact_days(shop):
    shop.ok("config", "set", "project.approval_required", "false")
    add(shop)
    add(shop, "AL", "数据中心", on="2026-02-01")
    stage(shop, "1", "negotiation", "2026-01-15 18:00")
    stage(shop, "1", "lost", "2026-02-04 08:00", "--reason", "价格不符")
    shop.ok(
        "project", "reopen", "1", "--reason", "重新询价", "--at", "2026-02-10 10:00",
        "--as-of", "2026-02-10",
    )  # fmt: skip
    stage(shop, "1", "contract", "2026-02-20 10:00")
    stage(shop, "1", "implementation", "2026-03-01 10:00")
    stage(shop, "1", "completed", "2026-03-31 10:00")
    from crmcli.db import open_database
    from crmcli.services.projects import stage_durations

    database = open_database(os.environ["CRM_DB"], write=False)
    from datetime import date

    with database.reading() as connection:
        durations = stage_durations(connection, date(2026, 4, 10))
        only = stage_durations(connection, date(2026, 4, 10), [2])
    assert durations == {
        # 10 days evaluating; 20 + 10 (after the reopening) negotiating; lost 6 days ignored
        1: {"evaluation": 10, "negotiation": 30, "contract": 9, "implementation": 30},
        # still evaluating on the as-of day
        2: {"evaluation": 68},
    }
    assert only == {2: {"evaluation": 68}}
    assert show(shop, "1", "2026-04-10")["days_in_stage"] == durations[1]


# --- log --project ------------------------------------------------------------------------------


def test_a_follow_up_can_belong_to_a_project_of_its_customer(shop):
    add(shop)
    add(shop, "AL", "数据中心")
    result = shop.json(
        "log", "HW", "--channel", "visit", "--summary", "技术交流", "--project", "1",
        "--at", "2026-01-06 10:00", "--as-of", "2026-01-06",
    )  # fmt: skip
    assert result["followup"]["project_id"] == 1
    assert [(f["at"], f["summary"]) for f in show(shop)["followups"]] == [
        ("2026-01-06 10:00", "技术交流")
    ]
    err = shop.fails(
        2, "log", "HW", "--channel", "phone", "--summary", "x", "--project", "2",
        "--as-of", "2026-01-06",
    )  # fmt: skip
    assert err == "crm: project #2 belongs to AL 阿里巴巴, not to this customer\n"
    err = shop.fails(
        3, "log", "HW", "--channel", "phone", "--summary", "x", "--project", "9",
        "--as-of", "2026-01-06",
    )  # fmt: skip
    assert err == "crm: no project #9\n"
    assert len(shop.json("customer", "show", "HW")["followups"]) == 1


# --- documents --------------------------------------------------------------------------------------


def test_documents_are_archived_by_hash_with_private_modes(shop, archive, tmp_path):
    add(shop)
    original = tmp_path / "contract.pdf"
    original.write_bytes(b"%PDF-1.7 contract")
    sha = hashlib.sha256(b"%PDF-1.7 contract").hexdigest()
    data = shop.json("project", "doc", "add", "1", original, "--kind", "合同")
    assert (data["name"], data["kind"], data["sha256"], data["size"]) == (
        "contract.pdf",
        "contract",
        sha,
        17,
    )
    assert os.stat(archive).st_mode & 0o777 == 0o700
    assert os.stat(archive / sha).st_mode & 0o777 == 0o600
    assert (archive / sha).read_bytes() == b"%PDF-1.7 contract"
    # the original may move or change: the record keeps its copy
    original.write_bytes(b"edited")
    original.rename(tmp_path / "elsewhere.pdf")
    assert shop.ok("project", "doc", "verify").stderr == "1 documents checked, 0 problems\n"
    assert [d["name"] for d in shop.json("project", "doc", "list", "1")] == ["contract.pdf"]
    assert [d["name"] for d in show(shop)["documents"]] == ["contract.pdf"]
    assert history(shop)[-1] == (
        "project.1.doc",
        None,
        f"contract contract.pdf (sha256 {sha[:12]})",
        None,
    )


def test_verify_names_a_changed_byte_and_a_missing_copy(shop, archive, tmp_path):
    add(shop)
    add(shop, "AL", "数据中心")
    first, second = tmp_path / "a.pdf", tmp_path / "report.docx"
    first.write_bytes(b"agreement v1")
    second.write_bytes(b"report")
    shop.ok("project", "doc", "add", "1", first, "--kind", "agreement")
    shop.ok("project", "doc", "add", "2", second, "--kind", "report")
    sha1, sha2 = (hashlib.sha256(b).hexdigest() for b in (b"agreement v1", b"report"))
    changed = bytearray((archive / sha1).read_bytes())
    changed[0] ^= 1
    (archive / sha1).write_bytes(bytes(changed))
    (archive / sha2).unlink()
    result = shop(*["project", "doc", "verify"])
    assert result.exit_code == 1
    actual = hashlib.sha256(bytes(changed)).hexdigest()
    assert result.stdout == (
        f"project #1 a.pdf: archived copy {archive / sha1} has changed "
        f"(sha256 {actual[:12]}, recorded {sha1[:12]})\n"
        f"project #2 report.docx: archived copy {archive / sha2} is missing\n"
    )
    assert result.stderr == "2 documents checked, 2 problems\n"
    only = shop("project", "doc", "verify", "2")
    assert (only.exit_code, only.stdout.count("\n")) == (1, 1)
    # doc get refuses to hand out a copy that no longer matches
    err = shop.fails(4, "project", "doc", "get", "1", "a.pdf", "-o", tmp_path / "out.pdf")
    assert err.startswith("crm: project #1 a.pdf: archived copy") and "has changed" in err
    assert not (tmp_path / "out.pdf").exists()


def test_doc_get_writes_a_copy_and_refuses_to_overwrite_without_force(shop, archive, tmp_path):
    add(shop)
    original = tmp_path / "contract.pdf"
    original.write_bytes(b"signed")
    shop.ok("project", "doc", "add", "1", original, "--kind", "contract")
    out = tmp_path / "copy.pdf"
    assert shop.ok("project", "doc", "get", "1", "contract.pdf", "-o", out).stderr == (
        f"wrote contract.pdf of project #1 to {out} (6 bytes)\n"
    )
    assert out.read_bytes() == b"signed"
    assert shop.fails(2, "project", "doc", "get", "1", "contract.pdf", "-o", out) == (
        f"crm: {out} exists; add --force to overwrite it\n"
    )
    out.write_bytes(b"other")
    shop.ok("project", "doc", "get", "1", "1", "-o", out, "--force")  # by id too
    assert out.read_bytes() == b"signed"
    assert shop.fails(3, "project", "doc", "get", "1", "nope.pdf", "-o", out) == (
        "crm: project #1 has no document 'nope.pdf'\n"
    )


def test_bad_documents_are_refused_and_nothing_is_archived(shop, archive, tmp_path):
    add(shop)
    missing = tmp_path / "nope.pdf"
    assert shop.fails(2, "project", "doc", "add", "1", missing) == f"crm: no file {missing}\n"
    assert shop.fails(2, "project", "doc", "add", "1", tmp_path) == (
        f"crm: {tmp_path} is a directory, not a document\n"
    )
    doc = tmp_path / "x.pdf"
    doc.write_bytes(b"x")
    assert shop.fails(2, "project", "doc", "add", "1", doc, "--kind", "invoice").startswith(
        "crm: unknown document kind 'invoice'"
    )
    shop.ok("project", "doc", "add", "1", doc)
    assert shop.fails(2, "project", "doc", "add", "1", doc).startswith(
        "crm: project #1 already has a document named x.pdf (added "
    )
    assert len(shop.json("project", "doc", "list")) == 1
    assert len(list(Path(archive).iterdir())) == 1


def test_a_server_database_needs_an_archive_folder(shop, isolated):
    from crmcli.config import load
    from crmcli.errors import InvalidInput
    from crmcli.services.projects import archive_dir

    config = load()
    with pytest.raises(InvalidInput, match=r"crm config set project\.archive_dir"):
        archive_dir(config, "postgresql+psycopg://postgres@127.0.0.1:55432/postgres")
    shop.ok("config", "set", "project.archive_dir", str(isolated / "docs"))
    assert archive_dir(load(), "postgresql+psycopg://x@h/db") == isolated / "docs"
    assert shop.fails(2, "config", "set", "project.archive_dir", "relative/dir") == (
        "crm: config project.archive_dir must be an absolute path "
        "(or empty: beside the database file)\n"
    )
