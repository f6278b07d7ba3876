"""The temporary folder an import stages its file in, and the sweep of those that killed
imports left behind.

Each import holds an exclusive ``flock`` on a lock file inside its folder for as long as
it runs; the kernel lets go of it when the process ends, however it ends. The next import
removes every ``crm-import-*`` folder of the same user whose lock it can take: nobody is
using those. A folder without a lock file (one that a kill caught before it had one) is
removed once it is an hour old.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

PREFIX = "crm-import-"
LOCK = ".lock"
UNLOCKED_AGE = 3600  # seconds


@contextlib.contextmanager
def staging_directory() -> Iterator[str]:
    """A private temporary folder for one import, swept of stale ones first."""
    sweep_stale()
    with tempfile.TemporaryDirectory(prefix=PREFIX) as directory:
        fd = os.open(os.path.join(directory, LOCK), os.O_CREAT | os.O_RDWR, 0o600)
        try:
            _lock(fd, block=True)
            yield directory
        finally:
            os.close(fd)


def sweep_stale(parent: str | None = None) -> list[str]:
    """Remove the staging folders no running import holds; the ones removed."""
    base = Path(parent or tempfile.gettempdir())
    removed: list[str] = []
    try:
        candidates = list(base.glob(PREFIX + "*"))
    except OSError:
        return removed
    uid = os.getuid() if hasattr(os, "getuid") else None
    for folder in candidates:
        try:
            info = folder.lstat()
            if not folder.is_dir() or folder.is_symlink():
                continue
            if uid is not None and info.st_uid != uid:
                continue
            if _stale(folder, info.st_mtime):
                shutil.rmtree(folder, ignore_errors=True)
                removed.append(str(folder))
        except OSError:
            continue
    return removed


def _stale(folder: Path, modified: float) -> bool:
    try:
        fd = os.open(folder / LOCK, os.O_RDWR)
    except FileNotFoundError:
        return time.time() - modified > UNLOCKED_AGE
    try:
        return _lock(fd, block=False)
    finally:
        os.close(fd)


def _lock(fd: int, *, block: bool) -> bool:
    """Take the exclusive lock; False when another process holds it."""
    try:
        import fcntl
    except ImportError:  # no flock here: nothing is ever taken for stale
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if block else fcntl.LOCK_NB))
    except BlockingIOError:
        return False
    return True
