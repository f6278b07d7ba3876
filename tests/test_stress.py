"""benchmarks/stress.py at a small scale (proofs 1 and 2 of the reliability work): many
`crm` processes writing at once lose nothing and keep every last contact right; kills of
an import and of reclassify leave a database that passes `crm db check`, with the import
wholly in or wholly out. The full scale (8 × 100 logs and a 20,000-row import; kills of
a 100,000-row import) is run by hand: see benchmarks/README.md."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "stress.py"


def run(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=900
    )
    assert done.returncode == 0, (done.stdout, done.stderr)
    assert done.stdout.rstrip().endswith("ok") and "NOT OK" not in done.stdout
    return done.stdout


def test_writers_a_reclassify_loop_and_an_import_at_once_lose_nothing(database_target):
    out = run(
        "load", "--writers", "4", "--logs", "5", "--import-rows", "500", "--db", database_target
    )
    assert "follow-ups logged 20 of 20; customers imported 500 of 500; failed commands 0; " in out
    assert "last contact not the latest follow-up: 0" in out


def test_killed_imports_and_reclassify_leave_a_sound_database(database_target):
    out = run(
        "kill",
        "--rows",
        "3000",
        "--kills",
        "3",
        "--reclassify-kills",
        "2",
        "--sales",
        "3000",
        "--db",
        database_target,
    )
    assert out.count("db check ok") == 5
    assert "PARTIAL" not in out and "0 after the next import; problems: 0" in out
