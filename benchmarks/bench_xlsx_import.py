"""Whole-process benchmark of ``crm import customers`` from an xlsx workbook against the same
rows as CSV.

Run by hand (never by the test suite)::

    .venv/bin/python benchmarks/bench_xlsx_import.py              # 100,000 rows, 3 runs each

The rows are those of ``bench_import.py`` (seeded: Chinese and English names, phones in
several spellings, e-mails, enumerations in both languages); the workbook holds them as
openpyxl writes a sheet, with a title row above the header and mobile numbers stored as
numbers, as an Excel user's list has them. Both imports go into a fresh database made by
``crm init``; the reading of the workbook (python-calamine) is the difference measured.
For scale, the time openpyxl (read-only mode) takes just to read the same sheet's cells
is printed too: what the import would cost with it as the reader.

The floor — ``python -c "import typer, rich, sqlmodel, dateutil.parser"``, the start-up
every crm command pays — is timed in the same run, so the figures can be read as ratios
on a loaded machine.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_import import fresh_crm_db, generate, timed, tool


def to_workbook(csv_path: Path, book_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("客户")
    sheet.append(["客户名单（导出）"])
    with csv_path.open(encoding="utf-8", newline="") as fh:
        for index, row in enumerate(csv.reader(fh)):
            cells: list[object] = list(row)
            phone = row[2]
            if index and phone.isdigit() and len(phone) == 11:
                cells[2] = int(phone)  # a mobile number typed into Excel is a number
            sheet.append(cells)
    book.save(book_path)


def openpyxl_read(book_path: Path) -> float:
    from openpyxl import load_workbook

    start = time.perf_counter()
    book = load_workbook(book_path, read_only=True, data_only=True)
    count = sum(1 for _ in book.worksheets[0].iter_rows(values_only=True))
    book.close()
    assert count > 1
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    crm = tool("crm")
    env = dict(__import__("os").environ, CRM_CONFIG="/dev/null/none.toml")
    with tempfile.TemporaryDirectory(prefix="crm-bench-xlsx-") as tmp:
        work = Path(tmp)
        env["CRM_CONFIG"] = str(work / "config.toml")
        csv_path = work / "customers.csv"
        book_path = work / "customers.xlsx"
        generate(csv_path, args.rows)
        to_workbook(csv_path, book_path)
        print(f"{args.rows:,} rows: csv {csv_path.stat().st_size / 2**20:.1f} MiB, "
              f"xlsx {book_path.stat().st_size / 2**20:.1f} MiB")  # fmt: skip
        floor_cmd = [sys.executable, "-c", "import typer, rich, sqlmodel, dateutil.parser"]
        samples: dict[str, list[float]] = {"floor": [], "csv": [], "xlsx": []}
        for _ in range(args.runs):
            samples["floor"].append(timed(floor_cmd, env)[0])
            for kind, path in (("csv", csv_path), ("xlsx", book_path)):
                db = work / f"{kind}.db"
                fresh_crm_db(crm, db, env)
                cmd = [crm, "--db", str(db), "import", "customers", str(path)]
                samples[kind].append(timed(cmd, env)[0])
                if kind == "xlsx":
                    check = subprocess.run(
                        [crm, "--db", str(db), "customer", "list", "--limit", "1", "-f", "json"],
                        env=env,
                        capture_output=True,
                        check=True,
                    )
                    assert check.stdout.strip() not in (b"", b"[]")
        reading = statistics.median(openpyxl_read(book_path) for _ in range(args.runs))
    floor, plain, book = (statistics.median(samples[k]) for k in ("floor", "csv", "xlsx"))
    print(f"floor (imports only)        {floor:6.2f} s")
    print(f"crm import customers .csv   {plain:6.2f} s")
    print(f"crm import customers .xlsx  {book:6.2f} s   ({book / plain:.2f}x the csv)")
    print(f"openpyxl: only reading the sheet's cells {reading:6.2f} s")
    print(f"load: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}")


if __name__ == "__main__":
    main()
