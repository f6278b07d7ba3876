"""crm demo: the example data, that day's overdue list, the commands to try next, and no
temporary folder left behind."""

from __future__ import annotations

import shlex
import tempfile
from pathlib import Path

import pytest

DAY = "2026-11-20"  # examples/demo.toml
LOADED = "loaded 72 customers, 97 contacts, 343 follow-ups, 51 plans from "


@pytest.fixture
def scratch(tmp_path, monkeypatch) -> Path:
    """Where temporary folders go during the test (the demo's included)."""
    folder = tmp_path / "scratch"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def test_demo_shows_the_overdue_list_and_leaves_no_temporary_folder(crm, scratch):
    result = crm.ok("demo")
    assert list(scratch.iterdir()) == []
    lines = result.stderr.splitlines()
    assert lines[0].startswith(LOADED)
    assert lines[1:] == [
        f"overdue as of {DAY}:",
        "the demo database was temporary and is removed; to keep one and try more:",
        "  crm demo --db crm-demo.db",
        f"  crm --db crm-demo.db remind --as-of {DAY}",
        f"  crm --db crm-demo.db customer show C0056 --as-of {DAY}",
        "  crm --db crm-demo.db customer list --tier core",
        f"  crm --db crm-demo.db report all --to {DAY}",
    ]
    # the overdue list itself: most days late first
    rows = result.stdout.splitlines()
    assert rows[0].split()[:3] == ["Late", "Code", "Name"]
    assert rows[1].split()[:2] == ["37", "C0056"]


def test_demo_into_a_file_keeps_it_and_every_command_it_suggests_works(crm, tmp_path, scratch):
    path = tmp_path / "my demo.db"
    result = crm.ok("demo", "--db", path)
    assert path.is_file()
    assert list(scratch.iterdir()) == []
    lines = result.stderr.splitlines()
    assert lines[2] == f"demo database: {path}; try next:"
    suggested = [line.strip() for line in lines[3:]]
    quoted = shlex.quote(str(path))
    assert suggested == [
        f"crm --db {quoted} remind --as-of {DAY}",
        f"crm --db {quoted} customer show C0056 --as-of {DAY}",
        f"crm --db {quoted} customer list --tier core",
        f"crm --db {quoted} report all --to {DAY}",
    ]
    for command in suggested:
        words = shlex.split(command)
        assert words[0] == "crm"
        output = crm.ok(*words[1:]).stdout
        assert output.strip(), command
    assert "C0056" in crm.ok("--db", path, "customer", "show", "C0056").stdout


def test_demo_refuses_a_database_that_exists_and_leaves_it_as_it_was(crm, tmp_path, scratch):
    path = tmp_path / "crm.db"
    path.write_bytes(b"mine")
    stderr = crm.fails(2, "demo", "--db", path)
    assert stderr == f"crm: {path} exists; the demo needs a fresh database path\n"
    assert path.read_bytes() == b"mine"
    assert list(scratch.iterdir()) == []
