"""Writing an output file safely: checked before anything is opened, written next to its
target under a temporary name and renamed over it only when complete, so a failed
export leaves whatever was there before untouched."""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import IO, Any

from crmcli.errors import InvalidInput
from crmcli.i18n import N_, Catalogue

MESSAGES = Catalogue(
    {
        "database": N_("{output} is the database itself; write the export to another file"),
        "directory": N_("cannot write {output}: it is a directory"),
        "cannot": N_("cannot write {output}: {reason}"),
    }
)


def output_target(output: str, database_file: str | os.PathLike[str] | None) -> tuple[str, bool]:
    """The real path -o names, and whether it is a regular file (or none yet), which is
    replaced whole; anything else (/dev/null, a named pipe) is written to as it is.
    Refused when it is the database (or one of its journal files) or a directory:
    checked before anything is opened, so nothing is touched."""
    import stat

    given = os.path.expanduser(output)
    try:
        mode: int | None = os.stat(given).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        raise InvalidInput(MESSAGES["cannot"].format(output=output, reason=exc.strerror)) from None
    if mode is not None and stat.S_ISDIR(mode):
        raise InvalidInput(MESSAGES["directory"].format(output=output))
    if mode is not None and not stat.S_ISREG(mode):
        return given, False
    target = os.path.realpath(given)
    if mode is not None and not os.access(target, os.W_OK):
        # A rename would replace it anyway; a read-only file is one its owner kept.
        reason = os.strerror(errno.EACCES)
        raise InvalidInput(MESSAGES["cannot"].format(output=output, reason=reason))
    database = None if database_file is None else os.path.realpath(database_file)
    if database is not None:
        if target in (database, *(database + end for end in ("-wal", "-shm", "-journal"))):
            raise InvalidInput(MESSAGES["database"].format(output=output))
        try:
            same = os.path.samefile(target, database)  # a hard link to it
        except OSError:
            same = False
        if same:
            raise InvalidInput(MESSAGES["database"].format(output=output))
    return target, True


@contextmanager
def replacing(target: str, output: str, binary: bool) -> Iterator[IO[Any]]:
    """A temporary file in the target's directory, renamed over the target once written
    and synced; removed (and the target left as it was) if anything fails."""
    import secrets

    directory, name = os.path.split(target)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        temporary = os.path.join(directory, f".{name}.{secrets.token_hex(4)}.tmp")
        try:
            fd = os.open(temporary, flags, 0o600)  # an export holds names and phones
            break
        except FileExistsError:
            continue
        except OSError as exc:
            raise InvalidInput(
                MESSAGES["cannot"].format(output=output, reason=exc.strerror)
            ) from None
    try:
        if binary:
            out: IO[Any] = os.fdopen(fd, "wb")
        else:
            out = os.fdopen(fd, "w", encoding="utf-8", newline="")
        with out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        if os.path.exists(target):
            os.chmod(temporary, os.stat(target).st_mode & 0o7777)
        os.replace(temporary, target)
    except BaseException as exc:
        with suppress(OSError):
            os.unlink(temporary)
        if isinstance(exc, OSError):
            reason = exc.strerror or str(exc)
            raise InvalidInput(MESSAGES["cannot"].format(output=output, reason=reason)) from None
        raise


@contextmanager
def opened(target: str, output: str, binary: bool) -> Iterator[IO[Any]]:
    text: dict[str, Any] = {} if binary else {"encoding": "utf-8", "newline": ""}
    try:
        with open(target, "wb" if binary else "w", **text) as out:
            yield out
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise InvalidInput(MESSAGES["cannot"].format(output=output, reason=reason)) from None
