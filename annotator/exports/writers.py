"""The writer end of an export: formatter pieces in, UTF-8 byte chunks of a bounded size out,
so a streaming response sends few, reasonably sized writes and never holds the whole file."""

from __future__ import annotations

import io
import itertools
import time
import zipfile
from collections.abc import Iterable, Iterator

from annotator.exports.base import ArchiveFormatter, ExportDocument, Formatter

CHUNK_CHARS = 64 * 1024


def encode_chunks(pieces: Iterable[str], *, chunk_chars: int = CHUNK_CHARS) -> Iterator[bytes]:
    """Join pieces until they reach `chunk_chars` characters, then yield them encoded as UTF-8.
    A piece longer than a chunk goes out whole; nothing empty is yielded."""
    buffer: list[str] = []
    size = 0
    for piece in pieces:
        buffer.append(piece)
        size += len(piece)
        if size >= chunk_chars:
            yield "".join(buffer).encode("utf-8")
            buffer.clear()
            size = 0
    if size:
        yield "".join(buffer).encode("utf-8")


def write_chunks(
    formatter: Formatter, documents: Iterable[ExportDocument], *, chunk_chars: int = CHUNK_CHARS
) -> Iterator[bytes]:
    """The whole export as byte chunks: the formatter's beginning, each document in turn, and
    its end; or, for an archive format, the zip archive of its files."""
    if isinstance(formatter, ArchiveFormatter):
        files = itertools.chain(
            (item for document in documents for item in formatter.files(document)), formatter.last_files()
        )
        return zip_chunks(files, chunk_bytes=chunk_chars)

    def pieces() -> Iterator[str]:
        yield from formatter.begin()
        for document in documents:
            yield from formatter.document(document)
        yield from formatter.end()

    return encode_chunks(pieces(), chunk_chars=chunk_chars)


class _Sink(io.RawIOBase):
    """A write-only stream that keeps what is written until it is taken. zipfile writes to it
    as to an unseekable file: each member's sizes go after its data."""

    def __init__(self) -> None:
        self.pieces: list[bytes] = []
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self.pieces.append(bytes(data))
        self.size += len(data)
        return len(data)

    def take(self) -> bytes:
        data = b"".join(self.pieces)
        self.pieces.clear()
        self.size = 0
        return data


def zip_chunks(
    files: Iterable[tuple[str, str | bytes]], *, chunk_bytes: int = CHUNK_CHARS
) -> Iterator[bytes]:
    """A zip archive of (path, content) files, texts as UTF-8, yielded in chunks of about
    `chunk_bytes` while it is written: memory holds one file at a time."""
    sink = _Sink()
    stamp = time.localtime()[:6]
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path, content in files:
            data = content.encode("utf-8") if isinstance(content, str) else content
            archive.writestr(zipfile.ZipInfo(path, date_time=stamp), data, zipfile.ZIP_DEFLATED)
            if sink.size >= chunk_bytes:
                yield sink.take()
    if sink.size:
        yield sink.take()
