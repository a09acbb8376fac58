"""The pieces every import format shares: where a problem is (ImportIssue), a raw record as a
parser found it (Record), the limits a file is read under (ImportLimits), and the Parser class
each format implements.

Importers are reader -> parser -> rows: `readers` turns bytes into checked text (UTF-8, no NUL
bytes, zip archives opened safely), a `Parser` turns text into `Record`s, and `rows` turns a
Record into a validated `DocumentRow`. Nothing here touches the database; the service in
annotator.imports.services resolves sources and writes.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from typing import IO, Any, ClassVar

from django.conf import settings

MIB = 1024 * 1024


@dataclass
class ImportIssue:
    """One problem with the input. `line` is the JSONL line, the CSV row number as a spreadsheet
    shows it (the header is row 1) or the line a JSON array item starts on; `item` is the
    0-based index in a JSON array or a posted list of records. `field` names the record field.

    str() gives "file:line: field: message", with "item [i]" before the field when known and
    the parts that are None left out.
    """

    file: str
    line: int | None
    field: str | None
    message: str
    item: int | None = None

    def __str__(self) -> str:
        parts = [self.file if self.line is None else f"{self.file}:{self.line}"]
        if self.item is not None:
            parts.append(f"item [{self.item}]")
        if self.field:
            parts.append(self.field)
        parts.append(self.message)
        return ": ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "text": str(self)}


class FileRefused(Exception):
    """Reading cannot go on (not UTF-8, a NUL byte, broken JSON or CSV, an unsafe archive):
    the whole file is refused with this issue."""

    def __init__(self, issue: ImportIssue) -> None:
        super().__init__(str(issue))
        self.issue = issue


@dataclass(slots=True)
class Record:
    """One document as a parser found it: field values not yet checked. `fields` uses the
    import field names (text, title, url, source, author, published_at, external_id, metadata).
    """

    fields: Mapping[str, Any]
    line: int | None = None
    item: int | None = None


@dataclass(frozen=True)
class ImportLimits:
    """Sizes an import is read under. Read from settings at call time (so tests can change
    them); every value has a default, so only ANNOTATOR_MAX_DOCUMENT_CHARS need be set."""

    max_document_chars: int = 1_000_000
    max_uncompressed_bytes: int = 4 * 1024 * MIB
    max_compression_ratio: int = 100
    max_issues_per_file: int = 100

    @classmethod
    def from_settings(cls) -> ImportLimits:
        return cls(
            max_document_chars=getattr(settings, "ANNOTATOR_MAX_DOCUMENT_CHARS", cls.max_document_chars),
            max_uncompressed_bytes=getattr(
                settings, "ANNOTATOR_IMPORT_MAX_UNCOMPRESSED_BYTES", cls.max_uncompressed_bytes
            ),
            max_compression_ratio=getattr(
                settings, "ANNOTATOR_IMPORT_MAX_COMPRESSION_RATIO", cls.max_compression_ratio
            ),
            max_issues_per_file=getattr(
                settings, "ANNOTATOR_IMPORT_MAX_ISSUES_PER_FILE", cls.max_issues_per_file
            ),
        )

    @property
    def max_line_bytes(self) -> int:
        """The longest line (JSONL, CSV) or JSON item read before giving up. A document of
        max_document_chars characters written with JSON escapes (up to 6 bytes a character) plus
        room for the other fields fits."""
        return self.max_document_chars * 6 + MIB


class Parser(ABC):
    """One import format. `parse` yields a Record per document, or an ImportIssue for a record
    that is wrong but lets reading go on; it raises FileRefused when reading cannot go on.
    `stream` is a binary file object positioned at the start of the file."""

    extensions: ClassVar[tuple[str, ...]]

    @abstractmethod
    def parse(
        self, stream: IO[bytes], *, name: str, limits: ImportLimits
    ) -> Iterator[Record | ImportIssue]: ...


PARSERS: dict[str, type[Parser]] = {}


def register(cls: type[Parser]) -> type[Parser]:
    """Class decorator: make a format available under each of its extensions."""
    for extension in cls.extensions:
        PARSERS[extension] = cls
    return cls


def extension_of(name: str) -> str:
    """The lower-cased extension with its dot ('.jsonl'), or '' when the name has none."""
    base = name.rsplit("/", 1)[-1]
    return "." + base.rsplit(".", 1)[-1].lower() if "." in base.lstrip(".") else ""


def parser_for(name: str) -> Parser | None:
    cls = PARSERS.get(extension_of(name))
    return cls() if cls is not None else None


def type_name(value: object) -> str:
    """The JSON name of a Python value's type, for messages ("not a number")."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "array"
    if isinstance(value, Mapping):
        return "object"
    return type(value).__name__


def a_type_name(value: object) -> str:
    """The type name with its article: "a number", "an array", "null"."""
    kind = type_name(value)
    if kind == "null":
        return kind
    return ("an " if kind[0] in "aeiou" else "a ") + kind
