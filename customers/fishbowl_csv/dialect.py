"""How an export file is written: its text encoding and its delimiter, told before any row is read.

Encodings real exports come in: UTF-8 with or without a BOM, Windows-1252 (a spreadsheet's "CSV"), UTF-16 with
a BOM (Excel's "Unicode text"). ``encoding_detect`` reads the file once as bytes (a chunk at a time, memory
flat): a file that is valid UTF-8 is UTF-8; one with no valid multi-byte UTF-8 sequence before its first
non-UTF-8 byte is Windows-1252; anything else — broken UTF-8, a byte Windows-1252 does not define, UTF-16
without its BOM — raises ``ImportFileError`` naming the line and character of the first bad byte.
``delimiter_detect`` splits the header line by comma, semicolon and tab and keeps the one that yields the most
known columns. No database access.
"""

from __future__ import annotations

import codecs
import csv
from dataclasses import dataclass
from pathlib import Path

CHUNK = 1 << 20
DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab"}
_CP1252_UNDEFINED = (b"\x81", b"\x8d", b"\x8f", b"\x90", b"\x9d")
ENCODING_NAMES = {"utf-8-sig": "UTF-8", "utf-16": "UTF-16", "cp1252": "Windows-1252"}


class ImportFileError(ValueError):
    """The file cannot be read as CSV text at all; nothing is imported. The message names line and column."""


@dataclass(frozen=True)
class BadByte:
    line: int
    character: int  # 1-based position in its line
    byte: int
    line_prefix: str  # the line's text before the byte (to name the CSV column it falls in)


def _position(data: bytes, offset: int, lines_before: int, encoding: str) -> BadByte:
    start = data.rfind(b"\n", 0, offset) + 1
    prefix = data[start:offset].decode(encoding, errors="replace").lstrip("\ufeff")
    return BadByte(lines_before + data.count(b"\n", 0, offset) + 1, len(prefix) + 1, data[offset], prefix)


def encoding_detect(path: Path) -> tuple[str, BadByte | None]:
    """``(codec name, None)`` for a readable file, or ``(codec tried, BadByte)`` for the first bad byte."""
    with path.open("rb") as handle:
        head = handle.read(4)
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return _scan(handle, head, "utf-16")
        if b"\x00" in head:
            return "utf-16", BadByte(1, 1, 0, "")
        return _scan(handle, head, "utf-8-sig")


def _scan(handle, head: bytes, encoding: str) -> tuple[str, BadByte | None]:
    decoder = codecs.getincrementaldecoder(encoding)()
    carry, lines, non_ascii = head, 0, False
    while True:
        chunk = handle.read(CHUNK)
        data = carry + chunk
        try:
            decoder.decode(data, final=not chunk)
        except UnicodeDecodeError as exc:
            failed_at = exc.start
            if encoding != "utf-8-sig" or non_ascii or _non_ascii(data[:failed_at]):
                return encoding, _position(data, failed_at, lines, encoding)
            return _scan_cp1252(handle, data, lines)
        if encoding == "utf-8-sig" and not non_ascii:
            non_ascii = _non_ascii(data)
        if not chunk:
            return encoding, None
        lines += data.count(b"\n")
        carry = b""


def _non_ascii(data: bytes) -> bool:
    return not data.isascii()


def _scan_cp1252(handle, data: bytes, lines: int) -> tuple[str, BadByte | None]:
    while True:
        found = [data.find(byte) for byte in _CP1252_UNDEFINED]
        found = [i for i in found if i >= 0]
        if found:
            return "cp1252", _position(data, min(found), lines, "cp1252")
        lines += data.count(b"\n")
        data = handle.read(CHUNK)
        if not data:
            return "cp1252", None


def bad_byte_message(name: str, encoding: str, bad: BadByte, column: str) -> str:
    if bad.byte == 0 and encoding == "utf-16" and bad.line == 1 and bad.character == 1:
        return (
            f"{name} line 1: the file looks like UTF-16 text without its byte-order mark; export it again as "
            "'CSV UTF-8' or as Excel's 'Unicode text' (which writes the mark)."
        )
    where = f"{name} line {bad.line}, column '{column}'" if column else f"{name} line {bad.line}"
    tried = "UTF-8" if encoding == "utf-8-sig" else ENCODING_NAMES.get(encoding, encoding)
    detail = (
        f"the file mixes UTF-8 text with another encoding (byte 0x{bad.byte:02X})"
        if encoding == "utf-8-sig"
        else f"byte 0x{bad.byte:02X} is not a {tried} character"
    )
    return (
        f"{where} (character {bad.character}): cannot be read as text — {detail}. "
        "Fix or retype that value, or export the file again as 'CSV UTF-8'."
    )


def delimiter_detect(first_line: str, score) -> tuple[str, list[str]]:
    """The delimiter whose split of the header line gives the highest ``score(cells)``, and those cells."""
    best = (-1, 0, ",", [])
    for delimiter in DELIMITERS:
        cells = next(csv.reader([first_line], delimiter=delimiter), [])
        candidate = (score(cells), len(cells), delimiter, cells)
        if candidate[:2] > best[:2]:
            best = candidate
    return best[2], best[3]


def other_delimiter(first_line: str) -> str | None:
    """A character that looks like the header's separator although it is none of the three read."""
    counts = {ch: first_line.count(ch) for ch in "|:^~"}
    ch, n = max(counts.items(), key=lambda item: item[1])
    return ch if n >= 2 else None
