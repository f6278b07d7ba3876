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
        from crmcli.i18n import _

        shown = "; ".join(candidates[:10])
        more = _(" (and {n} more)").format(n=len(candidates) - 10) if len(candidates) > 10 else ""
        super().__init__(
            _("{what} {ref!r} is ambiguous: {shown}{more}").format(
                what=_(what), ref=ref, shown=shown, more=more
            )
        )
        self.candidates = candidates


class StorageError(CrmError):
    exit_code = EXIT_STORAGE
