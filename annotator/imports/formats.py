"""The import formats: one Parser class each, registered by extension.

- `.txt`: one article per file. The text is the whole file; the title is its first non-blank
  line (stripped, cut to the title's maximum length) and also stays in the text, so offsets
  cover the headline too; external_id is the file name. The source is the import's default.
- `.jsonl`: one JSON object per line; blank lines are skipped. Errors name the line.
- `.json`: a JSON array of objects, or one object. Read as a stream, an item at a time, so a
  large array never sits in memory whole. Errors name the item's index and its first line.
- `.csv`: a header row, then one document per row. The delimiter (comma, semicolon or tab) is
  the one the header row uses most. Known column names match in any case; `metadata` holds a
  JSON object; any other column goes into metadata under its header name; empty cells of
  optional and other columns are left out. A `source` cell is a slug, or a JSON object when it starts
  with '{'. Rows are numbered as a spreadsheet shows them (the header is row 1).

JSON, JSONL and posted records must use only the known field names (see rows.FIELDS): an
unknown field is an error, so typos are caught. A null value counts as a missing field;
external_id may be an integer (stored as text); published_at is an ISO 8601 date or date-time
(naive means UTC); source is a slug or an object {name, domain?, slug?, country?, language?}
that creates the source when no source has its slug (given, or made from the name).
"""

from __future__ import annotations

import csv
import itertools
import json
import re
import sys
from collections.abc import Iterator
from typing import IO, Any

from annotator.imports.base import (
    FileRefused,
    ImportIssue,
    ImportLimits,
    Parser,
    Record,
    a_type_name,
    register,
)
from annotator.imports.readers import CHUNK_BYTES, iter_chunks, iter_lines, read_text
from annotator.imports.rows import FIELD_SET, MAX_LENGTHS, title_from_text


def _refuse(name: str, line: int | None, message: str, *, item: int | None = None) -> FileRefused:
    return FileRefused(ImportIssue(file=name, line=line, field=None, message=message, item=item))


def _not_object(
    name: str, line: int | None, value: Any, *, item: int | None = None, per: str = ""
) -> ImportIssue:
    message = f"must be a JSON object{per}, not {a_type_name(value)}"
    return ImportIssue(file=name, line=line, field=None, item=item, message=message)


TOO_DEEP = "invalid JSON: nested too deeply"


def _bad_number() -> str:
    """The message for the one ValueError json raises that is not a JSONDecodeError: an integer
    longer than Python converts (sys.get_int_max_str_digits(), a guard against slow parsing)."""
    return f"invalid JSON: a number has more than {sys.get_int_max_str_digits()} digits"


@register
class TxtParser(Parser):
    extensions = (".txt",)

    def parse(self, stream: IO[bytes], *, name: str, limits: ImportLimits) -> Iterator[Record | ImportIssue]:
        text = read_text(stream, name=name, max_chars=limits.max_document_chars)
        title = title_from_text(text)
        external_id = name.rsplit("/", 1)[-1][: MAX_LENGTHS["external_id"]]
        yield Record(fields={"text": text, "title": title, "external_id": external_id})


@register
class JsonlParser(Parser):
    extensions = (".jsonl",)

    def parse(self, stream: IO[bytes], *, name: str, limits: ImportLimits) -> Iterator[Record | ImportIssue]:
        loads = json.loads
        for number, line in iter_lines(stream, name=name, limits=limits):
            if line.isspace():
                continue
            try:
                value = loads(line)
            except RecursionError:
                yield ImportIssue(file=name, line=number, field=None, message=TOO_DEEP)
                continue
            except json.JSONDecodeError as error:
                # An error at the very end points past the line ending: name the end of the line.
                column = min(error.pos, len(line.rstrip("\r\n"))) + 1
                message = f"invalid JSON at column {column}: {error.msg}"
                yield ImportIssue(file=name, line=number, field=None, message=message)
                continue
            except ValueError:
                yield ImportIssue(file=name, line=number, field=None, message=_bad_number())
                continue
            if type(value) is not dict:
                yield _not_object(name, number, value, per=" per line")
                continue
            yield Record(fields=value, line=number)


_WS = re.compile(r"[ \t\n\r]*")
# A decoding error this close to the end of the buffer may only mean the value goes on in the
# next chunk (a cut `true`, number or \u escape); an unterminated string always may.
_NEAR_END = 32


class _JsonStream:
    """A JSON array read item by item from text chunks, keeping line numbers for messages."""

    def __init__(self, chunks: Iterator[str], name: str, max_item_chars: int) -> None:
        self.chunks = chunks
        self.name = name
        self.max_item_chars = max_item_chars
        self.decoder = json.JSONDecoder()
        self.buf = ""
        self.pos = 0
        self.eof = False
        self.base = 0  # absolute offset of buf[0]
        self.counted = 0  # buf position up to which lines are counted
        self.line = 1  # line number at buf[counted]
        self.line_start = 0  # absolute offset where that line starts

    def _read_more(self, at_least: int = 1) -> bool:
        if self.eof:
            return False
        self._line_at(self.pos)
        self.base += self.pos
        self.counted -= self.pos
        self.buf = self.buf[self.pos :]
        self.pos = 0
        added = 0
        pieces = [self.buf]
        while added < at_least:
            piece = next(self.chunks, None)
            if piece is None:
                self.eof = True
                break
            pieces.append(piece)
            added += len(piece)
        self.buf = "".join(pieces)
        return added > 0

    def _line_at(self, position: int) -> int:
        """The line number at buf[position]; positions asked for never go backwards."""
        if position > self.counted:
            newlines = self.buf.count("\n", self.counted, position)
            if newlines:
                self.line += newlines
                self.line_start = self.base + self.buf.rfind("\n", self.counted, position) + 1
            self.counted = position
        return self.line

    def _error(self, position: int, message: str, *, item: int | None = None) -> FileRefused:
        line = self._line_at(position)
        column = self.base + position - self.line_start + 1
        return _refuse(self.name, line, f"invalid JSON at column {column}: {message}", item=item)

    def peek(self) -> str | None:
        """The next character that is not whitespace (pos moves to it), or None at the end."""
        while True:
            self.pos = _WS.match(self.buf, self.pos).end()  # type: ignore[union-attr]
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self._read_more():
                return None

    def value(self, item: int | None) -> tuple[int, Any]:
        """Decode the value starting at pos; returns its first line and the value."""
        while True:
            try:
                value, end = self.decoder.raw_decode(self.buf, self.pos)
            except RecursionError:
                raise _refuse(self.name, self._line_at(self.pos), TOO_DEEP, item=item) from None
            except json.JSONDecodeError as error:
                cut = error.msg.startswith("Unterminated string") or len(self.buf) - error.pos < _NEAR_END
                if cut and not self.eof:
                    if len(self.buf) - self.pos > self.max_item_chars:
                        raise _refuse(
                            self.name,
                            self._line_at(self.pos),
                            f"is longer than {self.max_item_chars} characters, or its JSON is not closed",
                            item=item,
                        ) from None
                    # Grow geometrically so a long item is decoded O(log n) times, not O(n).
                    self._read_more(at_least=max(len(self.buf) - self.pos, 1))
                    continue
                raise self._error(error.pos, error.msg, item=item) from None
            except ValueError:
                raise _refuse(self.name, self._line_at(self.pos), _bad_number(), item=item) from None
            line = self._line_at(self.pos)
            self.pos = end
            return line, value

    def expect(self, wanted: str, expected: str) -> None:
        """Step over the next non-whitespace character, which must be `wanted`."""
        if self.peek() != wanted:
            found = "the end of the file" if self.pos >= len(self.buf) else repr(self.buf[self.pos])
            raise self._error(self.pos, f"expected {expected}, found {found}")
        self.pos += 1


@register
class JsonParser(Parser):
    extensions = (".json",)
    chunk_bytes = CHUNK_BYTES  # tests shrink it to cross chunk boundaries

    def parse(self, stream: IO[bytes], *, name: str, limits: ImportLimits) -> Iterator[Record | ImportIssue]:
        reader = _JsonStream(
            iter_chunks(stream, name=name, chunk_bytes=self.chunk_bytes), name, limits.max_line_bytes
        )
        first = reader.peek()
        if first == "{":
            line, value = reader.value(None)
            yield Record(fields=value, line=line)
        elif first == "[":
            reader.pos += 1
            index = 0
            if reader.peek() == "]":
                reader.pos += 1
            else:
                while True:
                    reader.peek()
                    line, value = reader.value(index)
                    if type(value) is dict:
                        yield Record(fields=value, line=line, item=index)
                    else:
                        yield _not_object(name, line, value, item=index)
                    index += 1
                    following = reader.peek()
                    if following == ",":
                        reader.pos += 1
                        continue
                    reader.expect("]", "',' or ']' after an item")
                    break
        else:
            found = "nothing" if first is None else repr(first)
            raise reader._error(
                reader.pos, f"expected an array '[' of objects or one object '{{', found {found}"
            )
        if reader.peek() is not None:
            raise reader._error(reader.pos, "unexpected data after the end of the JSON value")


_DELIMITERS = {",": "',' (comma)", ";": "';' (semicolon)", "\t": "tab"}
# csv numbers records, not lines; a CR not followed by LF ends a line too (old Mac files).
_LONE_CR_SPLIT = re.compile(r"(?<=\r)(?!\n)")


def _csv_lines(lines: Iterator[tuple[int, str]]) -> Iterator[str]:
    for _, line in lines:
        if "\r" in line:
            yield from (piece for piece in _LONE_CR_SPLIT.split(line) if piece)
        else:
            yield line


def _detect_delimiter(header: str) -> str:
    counts = {delimiter: header.count(delimiter) for delimiter in _DELIMITERS}
    best = max(counts, key=lambda d: (counts[d], d == ","))
    return best if counts[best] else ","


def _json_cell(name: str, row: int, column: str, cell: str) -> tuple[Any, ImportIssue | None]:
    try:
        return json.loads(cell), None
    except RecursionError:
        return None, ImportIssue(file=name, line=row, field=column, message=TOO_DEEP)
    except json.JSONDecodeError as error:
        return None, ImportIssue(
            file=name,
            line=row,
            field=column,
            message=f"is not valid JSON (column {error.colno}: {error.msg})",
        )
    except ValueError:
        return None, ImportIssue(file=name, line=row, field=column, message=_bad_number())


@register
class CsvParser(Parser):
    extensions = (".csv",)

    def parse(self, stream: IO[bytes], *, name: str, limits: ImportLimits) -> Iterator[Record | ImportIssue]:
        # The limit is process-wide; raising it is harmless. A raw cell may hold twice the
        # characters of its normalised text (CRLF); the row check then measures the text.
        cell_limit = 2 * limits.max_document_chars + 16
        if csv.field_size_limit() < cell_limit:
            csv.field_size_limit(cell_limit)
        lines = _csv_lines(iter_lines(stream, name=name, limits=limits))
        first = next(lines, None)
        if first is None or not first.strip():
            raise _refuse(name, 1, "has no header row")
        delimiter = _detect_delimiter(first)
        reader = csv.reader(itertools.chain([first], lines), delimiter=delimiter, strict=True)
        try:
            header = next(reader)
        except csv.Error as error:
            raise _refuse(name, 1, f"invalid CSV in the header row: {error}") from None
        columns = [column.strip() for column in header]
        columns = [column.lower() if column.lower() in FIELD_SET else column for column in columns]
        seen: set[str] = set()
        for column in columns:
            if column and column in seen:
                raise _refuse(name, 1, f"the column `{column}` appears twice in the header row")
            seen.add(column)
        if "text" not in seen:
            raise _refuse(
                name,
                1,
                f"no `text` column in the header row (columns: {', '.join(columns)}; "
                f"delimiter detected: {_DELIMITERS[delimiter]})",
            )
        width = len(columns)
        row = 1
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                break
            except csv.Error as error:
                message = str(error)
                if "field larger than field limit" in message:
                    message = f"a cell is longer than {cell_limit} characters"
                raise _refuse(name, row + 1, f"invalid CSV: {message}") from None
            row += 1
            if not cells:
                continue  # a blank line
            if len(cells) != width:
                yield ImportIssue(
                    file=name,
                    line=row,
                    field=None,
                    message=f"has {len(cells)} cells but the header row has {width}",
                )
                continue
            yield from self._record(name, row, columns, cells)

    def _record(
        self, name: str, row: int, columns: list[str], cells: list[str]
    ) -> list[Record | ImportIssue]:
        fields: dict[str, Any] = {}
        extra: dict[str, str] = {}
        issues: list[Record | ImportIssue] = []
        for column, cell in zip(columns, cells, strict=True):
            if column in FIELD_SET:
                if cell or column == "text":
                    fields[column] = cell
            elif column:
                if cell:
                    extra[column] = cell
            elif cell:
                issues.append(
                    ImportIssue(
                        file=name,
                        line=row,
                        field=None,
                        message="a cell under a column with no name holds a value",
                    )
                )
        if "metadata" in fields:
            metadata, issue = _json_cell(name, row, "metadata", fields["metadata"])
            if issue:
                issues.append(issue)
            elif type(metadata) is not dict:
                issues.append(
                    ImportIssue(
                        file=name,
                        line=row,
                        field="metadata",
                        message=f"must hold a JSON object, not {a_type_name(metadata)}",
                    )
                )
            else:
                fields["metadata"] = metadata
        if extra:
            metadata = fields.get("metadata")
            metadata = dict(metadata) if isinstance(metadata, dict) else {}
            for key, cell in extra.items():
                if key in metadata:
                    issues.append(
                        ImportIssue(
                            file=name,
                            line=row,
                            field=key,
                            message="is both a column and a key of the `metadata` object",
                        )
                    )
                metadata[key] = cell
            fields["metadata"] = metadata
        source = fields.get("source")
        if isinstance(source, str) and source.lstrip().startswith("{"):
            value, issue = _json_cell(name, row, "source", source)
            if issue:
                issues.append(issue)
            else:
                fields["source"] = value
        if not issues:
            issues.append(Record(fields=fields, line=row))
        return issues
