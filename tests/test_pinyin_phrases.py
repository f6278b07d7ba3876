"""pypinyin's phrase dictionary is loaded only for names a phrase can change.

``normalize.needs_phrases`` decides from the characters some phrase reads otherwise than
pypinyin's own first reading of them (kept per pypinyin version in the cache folder).
These tests run in processes of their own, where pypinyin has not been imported yet, and
hold the keys of every name that skips the phrases equal to the keys pypinyin gives it
with them.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# The names: every phrase pypinyin knows, each alone and inside a company name, the
# example customers, and the kinds of names the rest of the suite uses.
SCRIPT = r"""
import json, random, sys
from crmcli.text import normalize

normalize.pypinyin(phrases=False)
from pypinyin.constants import PHRASES_DICT, PINYIN_DICT

assert not PHRASES_DICT, "imported with its phrases"
extra = json.load(sys.stdin)
rng = random.Random(15)
chars = [chr(c) for c in PINYIN_DICT if 0x4E00 <= c <= 0x9FFF]
names = list(extra)
names += ["".join(rng.choice(chars) for _ in range(rng.randrange(1, 9))) for _ in range(20000)]
lean = [n for n in names if not normalize.needs_phrases(n)]
without = [normalize.pinyin_keys(n) for n in lean]
assert not PHRASES_DICT and not normalize._phrases_loaded, "loaded for a lean name"
with open(normalize._phrase_chars_path(), encoding="utf-8") as f:
    cached = frozenset(f.read())
chars_now = normalize.phrase_chars()  # loads the phrases
with_phrases = [normalize.pinyin_keys(n) for n in lean]
differ = [(n, a, b) for n, a, b in zip(lean, without, with_phrases) if a != b]
print(json.dumps({
    "names": len(names), "lean": len(lean), "differ": differ[:5],
    "cached_is_recomputed": cached == chars_now, "chars": len(chars_now),
}))
"""

PHRASE_SCRIPT = r"""
import json, sys
from crmcli.text import normalize

normalize.pypinyin(phrases=False)
from crmcli.text.normalize import pinyin_keys
names = json.load(sys.stdin)
lean = [n for n in names if not normalize.needs_phrases(n)]
without = [pinyin_keys(n) for n in lean]
assert not normalize._phrases_loaded
normalize.pypinyin(phrases=True)
print(json.dumps([[n, a, b] for n, a, b in zip(lean, without, map(pinyin_keys, lean)) if a != b]))
"""


def _run(script: str, cache: Path, names: list[str] | None = None) -> str:
    """Run ``script`` in a new process, ``names`` (JSON) on its standard input."""
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    env.pop("PYPINYIN_NO_PHRASES", None)
    done = subprocess.run(
        [sys.executable, "-c", script],
        input=json.dumps(names or [], ensure_ascii=False),
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _example_names() -> list[str]:
    with open(ROOT / "examples" / "customers.csv", encoding="utf-8-sig", newline="") as f:
        return [row["name"] for row in csv.DictReader(f)]


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    """A cache folder where the first Chinese name has written the characters down."""
    _run("from crmcli.text import normalize; normalize.pinyin_keys('银行')", tmp_path)
    (written,) = (tmp_path / "crmcli").iterdir()
    assert written.name.startswith("pypinyin-") and written.name.endswith("-phrase-chars.txt")
    assert "行" in written.read_text(encoding="utf-8")  # 银行: hang, not xing
    return tmp_path


def test_names_that_skip_the_phrases_read_as_with_them(cache: Path) -> None:
    names = [*_example_names(), "上海Bench科技有限公司", "华为技术有限公司", "王芳", "李娜"]
    result = json.loads(_run(SCRIPT, cache, names))
    assert result["differ"] == []
    assert result["cached_is_recomputed"]
    # Most names skip them: that is the point. Random characters mostly do too.
    assert result["lean"] > result["names"] // 2
    assert 0 < result["chars"] < 2000


def test_every_phrase_without_a_changed_character_reads_as_the_phrase_reads(cache: Path) -> None:
    from pypinyin.phrases_dict import phrases_dict

    phrases = list(phrases_dict)
    names = phrases + [f"上海{p}科技有限公司" for p in phrases[::7]]
    differ = json.loads(_run(PHRASE_SCRIPT, cache, names))
    assert differ == []


def test_names_a_phrase_changes_load_the_phrases(cache: Path) -> None:
    script = (
        "from crmcli.text import normalize\n"
        "print(normalize.pinyin_keys('重庆银行')[0], normalize._phrases_loaded)\n"
        "print(normalize.pinyin_keys('上海科技有限公司')[0])\n"
    )
    assert _run(script, cache).splitlines() == [
        "chong qing yin hang True",
        "shang hai ke ji you xian gong si",
    ]


def test_a_lean_name_does_not_load_them(cache: Path) -> None:
    script = (
        "from crmcli.text import normalize\n"
        "keys = normalize.pinyin_keys('上海科技有限公司')\n"
        "from pypinyin.constants import PHRASES_DICT\n"
        "print(keys[0], len(PHRASES_DICT))\n"
    )
    assert _run(script, cache).strip() == "shang hai ke ji you xian gong si 0"


def test_without_a_cache_it_loads_them_and_writes_one(tmp_path: Path) -> None:
    unwritable = tmp_path / "a-file"  # not a folder: nothing can be written under it
    unwritable.write_text("")
    script = (
        "from crmcli.text import normalize\n"
        "print(normalize.pinyin_keys('上海科技有限公司')[0], normalize._phrases_loaded)\n"
    )
    # A cache that cannot be written costs time, never the answer.
    assert _run(script, unwritable).strip() == "shang hai ke ji you xian gong si True"
    assert _run(script, tmp_path / "fresh").strip() == "shang hai ke ji you xian gong si True"
    assert list((tmp_path / "fresh" / "crmcli").iterdir())
