"""The writer end of an export: formatter pieces in, UTF-8 byte chunks of a bounded size out,
so a streaming response sends few, reasonably sized writes and never holds the whole file."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from annotator.exports.base import ExportDocument, Formatter

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
    its end."""

    def pieces() -> Iterator[str]:
        yield from formatter.begin()
        for document in documents:
            yield from formatter.document(document)
        yield from formatter.end()

    return encode_chunks(pieces(), chunk_chars=chunk_chars)
