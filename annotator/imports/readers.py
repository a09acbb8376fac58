"""Readers: bytes in, checked text out, streaming.

Text is decoded strictly as UTF-8 (a leading BOM is dropped); a NUL byte means a binary file.
Both refuse the file with the line and byte offset of the first bad byte. Zip archives are
opened without extracting anything to disk except a nested archive (spooled to a temporary
file, so it can be read with seeks), and are checked before any member is read: no unsafe
paths, no archive nested more than one level, no zip bomb.
"""

from __future__ import annotations

import codecs
import contextlib
import re
import shutil
import stat
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import IO

from annotator.imports.base import MIB, FileRefused, ImportIssue, ImportLimits, extension_of

UTF8_BOM = codecs.BOM_UTF8
CHUNK_BYTES = MIB
# Below this size a high compression ratio is normal (a file of blank lines); bombs are big.
RATIO_CHECK_MIN_BYTES = MIB

Opener = Callable[[], AbstractContextManager[IO[bytes]]]


def _refuse(name: str, line: int | None, message: str) -> FileRefused:
    return FileRefused(ImportIssue(file=name, line=line, field=None, message=message))


def _check_start(name: str, head: bytes) -> None:
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise _refuse(
            name, 1, "is UTF-16 encoded (it starts with a UTF-16 byte order mark); save it as UTF-8"
        )


def _nul_error(name: str, line: int, offset: int) -> FileRefused:
    return _refuse(name, line, f"contains a NUL byte at byte offset {offset}: a binary file, not UTF-8 text")


def _utf8_error(name: str, line: int, offset: int, byte: int | None) -> FileRefused:
    what = f"byte 0x{byte:02X}" if byte is not None else "a truncated character"
    return _refuse(name, line, f"not valid UTF-8: {what} at byte offset {offset}; save the file as UTF-8")


def iter_lines(stream: IO[bytes], *, name: str, limits: ImportLimits) -> Iterator[tuple[int, str]]:
    """Yield (line number, line) for each line split at LF, the line ending kept. Memory holds
    one line; a line longer than limits.max_line_bytes refuses the file."""
    readline = stream.readline
    limit = limits.max_line_bytes
    number = 0
    offset = 0
    while raw := readline(limit):
        number += 1
        if number == 1:
            _check_start(name, raw)
            if raw.startswith(UTF8_BOM):
                raw = raw[3:]
                offset = 3
        if len(raw) >= limit and not raw.endswith(b"\n"):
            raise _refuse(
                name,
                number,
                f"line is longer than {limit} bytes; a document may have at most "
                f"{limits.max_document_chars} characters",
            )
        if b"\x00" in raw:
            raise _nul_error(name, number, offset + raw.index(b"\x00"))
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise _utf8_error(name, number, offset + error.start, raw[error.start]) from None
        yield number, text
        offset += len(raw)


def iter_chunks(stream: IO[bytes], *, name: str, chunk_bytes: int = CHUNK_BYTES) -> Iterator[str]:
    """Yield the decoded text in pieces of about chunk_bytes, split anywhere (even inside a
    line, never inside a character)."""
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    offset = 0  # bytes read before `raw`
    lines = 0  # LF bytes before `raw`
    first = True
    while True:
        raw = stream.read(chunk_bytes)
        final = not raw
        if first:
            _check_start(name, raw)
            if raw.startswith(UTF8_BOM):
                raw = raw[3:]
                offset = 3
            first = False
        nul = raw.find(b"\x00")
        if nul >= 0:
            raise _nul_error(name, lines + raw.count(b"\n", 0, nul) + 1, offset + nul)
        pending = decoder.getstate()[0]
        try:
            text = decoder.decode(raw, final)
        except UnicodeDecodeError as error:
            data = pending + raw
            line = lines + data.count(b"\n", 0, error.start) + 1
            byte = data[error.start] if error.start < len(data) else None
            raise _utf8_error(name, line, offset - len(pending) + error.start, byte) from None
        if text:
            yield text
        if final:
            return
        offset += len(raw)
        lines += raw.count(b"\n")


def read_text(stream: IO[bytes], *, name: str, max_chars: int) -> str:
    """The whole file as text. Refuses a file whose text would be longer than max_chars after
    line endings are normalised, without reading much more than that."""
    pieces: list[str] = []
    total = 0
    for piece in iter_chunks(stream, name=name):
        pieces.append(piece)
        total += len(piece)
        # CRLF -> LF at most halves the length, so past 2 * max_chars it is too long for sure.
        if total > 2 * max_chars:
            raise FileRefused(
                ImportIssue(
                    file=name,
                    line=None,
                    field="text",
                    message=f"is longer than the limit of {max_chars} characters (ANNOTATOR_MAX_DOCUMENT_CHARS)",
                )
            )
    return "".join(pieces)


@dataclass(frozen=True)
class Entry:
    """One file to parse: a plain file, or a member of a zip archive ("batch.zip/a/b.jsonl").
    `size` is its size in bytes when known; `open` gives a binary stream."""

    name: str
    size: int | None
    open: Opener


class _Budget:
    """Uncompressed bytes left for one top-level archive, nested archives included."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0


_DRIVE = re.compile(r"^[A-Za-z]:")


def _unsafe_reason(info: zipfile.ZipInfo) -> str | None:
    name = info.filename.replace("\\", "/")
    if name.startswith("/") or _DRIVE.match(name):
        return "has an absolute path"
    if ".." in name.split("/"):
        return "has a path that climbs out of the archive ('..')"
    if stat.S_ISLNK(info.external_attr >> 16):
        return "is a symbolic link"
    return None


def _is_junk(filename: str) -> bool:
    """Folders and the files archivers add on their own (macOS resource forks, .DS_Store)."""
    if filename.endswith("/"):
        return True
    parts = filename.replace("\\", "/").split("/")
    return parts[0] == "__MACOSX" or parts[-1].startswith(".")


def _check_archive(name: str, archive: zipfile.ZipFile, limits: ImportLimits, budget: _Budget) -> None:
    """Refuse the whole archive before reading any member: unsafe paths, encrypted members and
    zip bombs (by the sizes in the archive's directory; zipfile stops reading a member at its
    declared size, so a lying header only yields a CRC error). The ratio is checked for each
    large member and for the archive as a whole, so many small members cannot pass under it."""
    expanded = compressed = 0
    for info in archive.infolist():
        reason = _unsafe_reason(info)
        if reason:
            raise _refuse(name, None, f"entry '{info.filename}' {reason}; archive refused")
        if info.flag_bits & 0x1:
            raise _refuse(name, None, f"entry '{info.filename}' is encrypted; archive refused")
        if info.file_size >= RATIO_CHECK_MIN_BYTES:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > limits.max_compression_ratio:
                raise _refuse(
                    name,
                    None,
                    f"entry '{info.filename}' has a compression ratio of {ratio:.0f}:1, over the limit of "
                    f"{limits.max_compression_ratio}:1 (a zip bomb?); archive refused",
                )
        budget.used += info.file_size
        if budget.used > budget.limit:
            raise _refuse(
                name,
                None,
                f"expands to more than {budget.limit} bytes, the limit for one archive "
                f"(ANNOTATOR_IMPORT_MAX_UNCOMPRESSED_BYTES); archive refused",
            )
        expanded += info.file_size
        compressed += info.compress_size
    ratio = expanded / max(compressed, 1)
    if expanded >= RATIO_CHECK_MIN_BYTES and ratio > limits.max_compression_ratio:
        raise _refuse(
            name,
            None,
            f"its entries have a compression ratio of {ratio:.0f}:1 together, over the limit of "
            f"{limits.max_compression_ratio}:1 (a zip bomb?); archive refused",
        )


def _member_opener(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Opener:
    return lambda: archive.open(info)


def _iter_archive(
    name: str, stream: IO[bytes], limits: ImportLimits, budget: _Budget, depth: int
) -> Iterator[Entry | ImportIssue]:
    try:
        archive = zipfile.ZipFile(stream)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as error:
        yield ImportIssue(file=name, line=None, field=None, message=f"not a valid zip archive ({error})")
        return
    with archive:
        try:
            _check_archive(name, archive, limits, budget)
        except FileRefused as refused:
            yield refused.issue
            return
        for info in sorted(archive.infolist(), key=lambda i: i.filename):
            if _is_junk(info.filename):
                continue
            member = f"{name}/{info.filename}"
            if extension_of(info.filename) != ".zip":
                yield Entry(name=member, size=info.file_size, open=_member_opener(archive, info))
            elif depth >= 1:
                yield ImportIssue(
                    file=member,
                    line=None,
                    field=None,
                    message="is an archive inside an archive inside an archive; only one level of nesting is read",
                )
            else:
                # zipfile needs to seek; seeking in a compressed member re-reads it from the
                # start, so the nested archive is copied (its size already checked) to disk.
                with tempfile.TemporaryFile() as spool:
                    try:
                        with archive.open(info) as source:
                            shutil.copyfileobj(source, spool, CHUNK_BYTES)
                    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as error:
                        yield ImportIssue(
                            file=member, line=None, field=None, message=f"cannot be read ({error})"
                        )
                        continue
                    spool.seek(0)
                    yield from _iter_archive(member, spool, limits, budget, depth + 1)


def iter_entries(
    name: str, opener: Opener, size: int | None, limits: ImportLimits
) -> Iterator[Entry | ImportIssue]:
    """The files inside one input: itself, or each member of a zip archive (sorted by name,
    folders and archiver junk skipped). An ImportIssue refuses an archive or one member."""
    if extension_of(name) != ".zip":
        yield Entry(name=name, size=size, open=opener)
        return
    with opener() as stream:
        if stream.seekable():
            yield from _iter_archive(name, stream, limits, _Budget(limits.max_uncompressed_bytes), 0)
            return
        with tempfile.TemporaryFile() as spool:
            shutil.copyfileobj(stream, spool, CHUNK_BYTES)
            spool.seek(0)
            yield from _iter_archive(name, spool, limits, _Budget(limits.max_uncompressed_bytes), 0)


def stream_size(stream: IO[bytes]) -> int | None:
    """Bytes from the current position to the end of a seekable stream, else None."""
    with contextlib.suppress(OSError, ValueError):
        if stream.seekable():
            here = stream.tell()
            end = stream.seek(0, 2)
            stream.seek(here)
            return end - here
    return None
