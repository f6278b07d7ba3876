"""Reading CSV as Excel and WPS write it, streamed: bytes → TextIOWrapper → csv.reader.

The encoding is found without a flag: a byte-order mark says UTF-8 or UTF-16 (Excel's
"Unicode text", tab-separated); otherwise UTF-8 if the start of the file decodes as
UTF-8, else GB18030 (GBK exports of Chinese Excel/WPS). GB18030 decodes almost any bytes,
so a wrong guess is caught by the caller checking the header row, and by refusing text
that no spreadsheet writes (control and private-use characters). The delimiter is
sniffed from the header line. The file is never held in memory.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from crmcli.errors import InvalidInput
from crmcli.i18n import N_, Catalogue, _

SAMPLE_BYTES = 64 * 1024
SCAN_BYTES = 1024 * 1024
DELIMITERS = {",": ",", ";": ";", "\t": "\t", "tab": "\t", "\\t": "\t", "|": "|"}
_ENCODING_NAMES = {
    "utf8": "utf-8",
    "utf-8": "utf-8",
    "utf-8-sig": "utf-8-sig",
    "utf8-sig": "utf-8-sig",
    "gbk": "gb18030",
    "gb2312": "gb18030",
    "gb18030": "gb18030",
    "utf-16": "utf-16",
    "utf16": "utf-16",
}
csv.field_size_limit(16 * 1024 * 1024)


MESSAGES = Catalogue(
    {
        "not_encoding": N_(
            "{name}: line {line} is not valid {encoding}; pass the file's encoding with --encoding{example}"
        ),
        "example": N_(" (e.g. {encoding})"),
        "not_text": N_("{name} is not {encoding} text; pass its encoding with --encoding{example}"),
        "no_bom": N_(
            "{name} does not start with a {encoding} byte-order mark; pass its encoding with --encoding{example}"
        ),
    }
)


class EncodingMismatch(InvalidInput):
    """Bytes past the sampled start are not in the encoding the file is read in."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


def _other_encoding(encoding: str) -> str:
    """The encoding to suggest when ``encoding`` does not fit: the other common one."""
    if encoding.startswith("utf-8"):
        other = "gb18030"
    elif encoding == "gb18030":
        other = "utf-8"
    else:
        return ""
    return MESSAGES["example"].format(encoding=other)


def _line_ends(text: str) -> int:
    return text.count("\n") + text.count("\r") - text.count("\r\n")


def _failed_line(exc: UnicodeError, lines_read: int) -> int:
    """The line the undecodable bytes are on.

    The text layer decodes a block ahead of what the CSV reader has taken: the bytes
    before the bad ones in that block are lines the reader has not seen yet. The block
    starts on the line after the ``lines_read`` complete ones (what lies between is the
    start of one line, with no line end: the reader would have taken it otherwise).
    """
    data = getattr(exc, "object", None)
    start = getattr(exc, "start", 0)
    encoding = getattr(exc, "encoding", None)
    if not isinstance(data, bytes | bytearray) or not encoding:
        return lines_read + 1
    try:
        before = bytes(data[:start]).decode(encoding, "replace")
    except (LookupError, UnicodeError):
        return lines_read + 1
    return lines_read + 1 + _line_ends(before)


_NON_ASCII = re.compile(rb"[\x80-\xff]")
_NON_ASCII_RUN = re.compile(rb"[\x80-\xff]+")


def starts_as_utf8(blocks: Iterable[bytes]) -> bool | None:
    """Whether the first non-ASCII text of a file is UTF-8: True, False, or None when
    the blocks hold only ASCII.

    A file whose first non-ASCII characters are UTF-8 is a UTF-8 file, whatever comes
    later; one whose first non-ASCII bytes are not UTF-8 is in another encoding. The
    first run of non-ASCII bytes (a word, usually) is what decides.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    found = False
    for block in blocks:
        position = 0
        if not found:
            if block.isascii():
                continue
            hit = _NON_ASCII.search(block)
            if hit is None:  # pragma: no cover - isascii() said otherwise
                continue
            position = hit.start()
            found = True
        run = _NON_ASCII_RUN.match(block, position)
        end = run.end() if run is not None else position
        try:
            decoder.decode(block[position:end], final=False)
            if end < len(block):
                decoder.decode(b"", final=True)
                return True
        except UnicodeDecodeError:
            return False
    if not found:
        return None
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def file_blocks(path: str, size: int = SCAN_BYTES) -> Iterator[bytes]:
    """The bytes of a file, a block at a time: never the whole file in memory."""
    with open(path, "rb") as fh:
        while block := fh.read(size):
            yield block


class _Replay(io.RawIOBase):
    """The sampled head again, then the rest of the stream; counts the bytes read."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self.head = memoryview(head)
        self.rest = rest
        self.position = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self.head.nbytes:
            n = min(len(buffer), self.head.nbytes)
            buffer[:n] = self.head[:n]
            self.head = self.head[n:]
        else:
            data = self.rest.read(len(buffer))
            n = len(data)
            buffer[:n] = data
        self.position += n
        return n


def normalize_encoding(name: str) -> str | None:
    folded = name.strip().lower().replace("_", "-")
    if folded == "auto":
        return None
    if folded in _ENCODING_NAMES:
        return _ENCODING_NAMES[folded]
    try:
        return codecs.lookup(folded).name
    except LookupError:
        raise InvalidInput(
            _("unknown encoding {name!r}; use auto, utf-8, gb18030 or utf-16").format(name=name)
        ) from None


def normalize_delimiter(text: str) -> str | None:
    if text.strip().lower() == "auto":
        return None
    if text in DELIMITERS or text.lower() in DELIMITERS:
        return DELIMITERS.get(text, DELIMITERS.get(text.lower()))
    raise InvalidInput(
        _("unknown delimiter {text!r}; use auto, ',', ';', tab or '|'").format(text=text)
    )


def detect_encoding(sample: bytes) -> str:
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in sample[:4096]:
        head = sample[:4096]
        # UTF-16 without a mark: ASCII text has its zero bytes all on one side.
        return "utf-16-le" if head[1::2].count(0) > head[0::2].count(0) else "utf-16-be"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8"


def _implausible(text: str) -> str | None:
    """A character no spreadsheet export contains: the sign of a wrong decoding."""
    for ch in text:
        code = ord(ch)
        if ch in "\t\r\n":
            continue
        if code < 0x20 or 0x7F <= code < 0xA0 or 0xE000 <= code <= 0xF8FF or code == 0xFFFD:
            return ch
    return None


def sniff_delimiter(header_line: str) -> str:
    counts = {d: 0 for d in (",", "\t", ";", "|")}
    quoted = False
    for ch in header_line:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


@dataclass
class CsvInput:
    """An opened CSV file: its header and a stream of (line number, cells)."""

    name: str
    encoding: str
    delimiter: str
    header: list[str]
    header_line: int
    size: int | None
    seekable: bool
    _reader: Any = field(repr=False)  # a csv.reader: records, and the line it is at
    _counter: _Replay = field(repr=False)
    guessed: bool = False
    head: bytes = field(default=b"", repr=False)  # the sampled start, as read

    @property
    def bytes_read(self) -> int:
        return self._counter.position

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """Each non-empty record with the line it starts on (the header is line 1)."""
        reader = self._reader
        last = reader.line_num
        try:
            for cells in reader:
                start = last + 1
                last = reader.line_num
                # No cell, or only blanks in every cell: an empty line.
                if "".join(cells).strip():
                    yield start, cells
        except UnicodeError as exc:
            line = _failed_line(exc, reader.line_num)
            raise EncodingMismatch(
                MESSAGES["not_encoding"].format(
                    name=self.name,
                    line=line,
                    encoding=self.encoding,
                    example=_other_encoding(self.encoding),
                ),
                line,
            ) from None
        except csv.Error as exc:
            raise InvalidInput(
                _("{name}: line {value}: {exc}").format(name=self.name, value=last + 1, exc=exc)
            ) from None


def check_readable(path: str) -> None:
    """Refuse a missing or unreadable file before any other work starts."""
    if path == "-":
        return
    fh, *_ = _open_binary(path)
    fh.close()


def _open_binary(path: str) -> tuple[BinaryIO, str, int | None, bool]:
    if path == "-":
        return sys.stdin.buffer, "<stdin>", None, False
    try:
        fh = open(path, "rb")  # noqa: SIM115 - closed by the caller's context
    except FileNotFoundError:
        raise InvalidInput(_("no such file: {path}").format(path=path)) from None
    except IsADirectoryError:
        raise InvalidInput(_("{path} is a directory, not a CSV file").format(path=path)) from None
    except PermissionError:
        raise InvalidInput(_("cannot read {path}: permission denied").format(path=path)) from None
    return fh, os.path.basename(path), os.fstat(fh.fileno()).st_size, True


class CsvSource:
    """``with CsvSource(path, …) as src:`` — opens, detects, and closes the file."""

    def __init__(
        self, path: str, *, encoding: str | None = None, delimiter: str | None = None
    ) -> None:
        self.path = path
        self.encoding = encoding
        self.delimiter = delimiter
        self._fh: BinaryIO | None = None

    def __enter__(self) -> CsvInput:
        fh, name, size, seekable = _open_binary(self.path)
        self._fh = fh
        return open_stream(
            fh, name, size, seekable, encoding=self.encoding, delimiter=self.delimiter
        )

    def __exit__(self, *exc: object) -> None:
        if self._fh is not None and self._fh is not sys.stdin.buffer:
            self._fh.close()


def open_stream(
    fh: BinaryIO,
    name: str,
    size: int | None,
    seekable: bool,
    *,
    encoding: str | None,
    delimiter: str | None,
) -> CsvInput:
    sample = fh.read(SAMPLE_BYTES)
    if not sample.strip():
        raise InvalidInput(_("{name} is empty").format(name=name))
    if sample.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        # Workbooks are read by their own reader, from a file (io.workbook).
        raise InvalidInput(
            _(
                "{name} is a workbook; name its file to import it (crm import customers FILE.xlsx)"
            ).format(name=name)
        )
    guessed = encoding is None
    chosen = encoding or detect_encoding(sample)
    decoder = codecs.getincrementaldecoder(chosen)()
    try:
        text = decoder.decode(sample, final=len(sample) < SAMPLE_BYTES)
    except UnicodeError as exc:
        likely = detect_encoding(sample)
        hint = likely if likely != chosen else "gb18030" if chosen.startswith("utf") else "utf-8"
        if guessed:
            raise InvalidInput(
                _(
                    "cannot tell the encoding of {name}: it is neither UTF-8 nor GB18030; pass it with --encoding"
                ).format(name=name)
            ) from None
        if not isinstance(exc, UnicodeDecodeError):
            # UTF-16 (or -32) forced on a file without a byte-order mark: say what the
            # start looks like instead (UTF-16 of one byte order, UTF-8 or GB18030).
            raise InvalidInput(
                MESSAGES["no_bom"].format(
                    name=name,
                    encoding=chosen.upper(),
                    example=MESSAGES["example"].format(encoding=likely),
                )
            ) from None
        raise InvalidInput(
            MESSAGES["not_text"].format(
                name=name, encoding=chosen, example=MESSAGES["example"].format(encoding=hint)
            )
        ) from None
    if guessed:
        odd = _implausible(text)
        if odd is not None:
            raise InvalidInput(
                _(
                    "cannot tell the encoding of {name}: read as {chosen} it contains U+{odd:04X}; pass it with --encoding"
                ).format(name=name, chosen=chosen, odd=ord(odd))
            )
    first_line = text.lstrip("\ufeff").split("\n", 1)[0]
    sep = delimiter or sniff_delimiter(first_line)
    counter = _Replay(sample, fh)
    stream = io.TextIOWrapper(
        io.BufferedReader(counter, buffer_size=SAMPLE_BYTES), encoding=chosen, newline=""
    )
    reader = csv.reader(stream, delimiter=sep)
    header: list[str] | None = None
    header_line = 0
    for cells in reader:
        if cells and any(c.strip() for c in cells):
            header = [c.replace("\ufeff", "") for c in cells]
            header_line = reader.line_num
            break
    if header is None:
        raise InvalidInput(_("{name} has no header row").format(name=name))
    return CsvInput(
        name=name,
        encoding=chosen,
        delimiter=sep,
        header=header,
        header_line=header_line,
        size=size,
        seekable=seekable,
        _reader=reader,
        _counter=counter,
        guessed=guessed,
        head=sample,
    )


def write_csv(
    path: str, header: list[str], rows: Iterator[list[str]], *, encoding: str, delimiter: str
) -> int:
    """Write rows (the rejects file): in the encoding and delimiter the input came in."""
    target = {"utf-16-le": "utf-16", "utf-16-be": "utf-16"}.get(encoding, encoding)
    count = 0
    try:
        out = sys.stdout if path == "-" else _private_text(path, target)
        try:
            writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
            writer.writerow(header)
            for row in rows:
                writer.writerow(row)
                count += 1
        finally:
            if out is not sys.stdout:
                out.close()
    except OSError as exc:
        raise InvalidInput(
            _("cannot write {path}: {value}").format(path=path, value=exc.strerror or exc)
        ) from None
    return count


def _private_text(path: str, encoding: str) -> Any:
    """A text file to write, created 0600: rejected rows hold names and phones."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    return os.fdopen(fd, "w", encoding=encoding, newline="")
