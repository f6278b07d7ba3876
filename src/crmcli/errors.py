"""Error types and the exit codes of SPEC §3.

Every failure a user can cause is one of these; the CLI's single handler prints
``crm: <message>`` on stderr and exits with the code. Nothing else may exit non-zero.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FOUND = 1  # a check found something (only with --exit-code)
EXIT_USAGE = 2  # invalid usage or input; nothing written
EXIT_NOT_FOUND = 3  # not found or ambiguous
EXIT_STORAGE = 4  # locked past the timeout, corrupt file, newer schema
EXIT_INTERNAL = 70  # a bug: an error nobody foresaw (sysexits EX_SOFTWARE); CRM_DEBUG=1 shows it


class CrmError(Exception):
    exit_code = EXIT_USAGE

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(CrmError):
    exit_code = EXIT_USAGE


class NotFound(CrmError):
    exit_code = EXIT_NOT_FOUND


class Ambiguous(NotFound):
    def __init__(self, what: str, ref: str, candidates: list[str]) -> None:
        shown = "; ".join(candidates[:10])
        more = f" (and {len(candidates) - 10} more)" if len(candidates) > 10 else ""
        super().__init__(f"{what} {ref!r} is ambiguous: {shown}{more}")
        self.candidates = candidates


class StorageError(CrmError):
    exit_code = EXIT_STORAGE
