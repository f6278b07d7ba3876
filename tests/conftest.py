"""Every test runs against its own config and database in a temporary directory."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from crmcli.cli import app


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CRM_CONFIG", str(tmp_path / "config.toml"))
    monkeypatch.setenv("CRM_DB", str(tmp_path / "crm.db"))
    monkeypatch.setenv("CRM_USER", "tester")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("NO_COLOR", "1")
    return tmp_path


class Run:
    """Invoke ``crm`` in-process; ``ok`` asserts success, ``fails`` asserts the exit code."""

    def __init__(self) -> None:
        self.runner = CliRunner()

    def __call__(self, *args: Any, input: str | None = None) -> Any:
        return self.runner.invoke(app, [str(a) for a in args], input=input)

    def ok(self, *args: Any) -> Any:
        result = self(*args)
        assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
        return result

    def json(self, *args: Any) -> Any:
        return json.loads(self.ok(*args, "--format", "json").stdout)

    def add_customer(
        self, name: str, code: str, stage: str, *extra: Any, owner: str, on: str
    ) -> Any:
        """Add a customer with a code, stage, owner and the day it was added."""
        return self.ok(
            "customer",
            "add",
            name,
            "--code",
            code,
            "--stage",
            stage,
            "--owner",
            owner,
            "--as-of",
            on,
            *extra,
        )

    def fails(self, code: int, *args: Any) -> str:
        result = self(*args)
        assert result.exit_code == code, (
            result.exit_code,
            result.stdout,
            result.stderr,
            result.exception,
        )
        assert "Traceback" not in result.stderr
        return result.stderr


@pytest.fixture
def crm() -> Callable[..., Any]:
    return Run()
