"""Rows: a Record (raw field values) in, a validated DocumentRow or the list of what is wrong
out. Pure: no database. Sources stay references (a slug, or a SourceSpec to create) for the
service to resolve.

The text is normalised exactly as the offset contract says (DESIGN.md section 4): a leading
BOM is dropped, CRLF and lone CR become LF, and nothing else changes (no NFC, no stripping, no
whitespace collapsing). `text_sha256` is the SHA-256 of that text encoded as UTF-8.
"""

from __future__ import annotations

import bisect
import difflib
import hashlib
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.db import models
from django.utils.text import slugify

from annotator.imports.base import ImportIssue, Record, a_type_name
from annotator.models import Document, Source

FIELDS = ("text", "title", "url", "source", "author", "published_at", "external_id", "metadata")
FIELD_SET = frozenset(FIELDS)
SOURCE_FIELDS = ("name", "domain", "slug", "country", "language")


def _max_length(model: type[models.Model], name: str) -> int:
    model_field = model._meta.get_field(name)
    assert isinstance(model_field, models.CharField)
    assert model_field.max_length is not None
    return model_field.max_length


# Lengths come from the model so the two cannot drift apart.
MAX_LENGTHS = {name: _max_length(Document, name) for name in ("title", "url", "author", "external_id")}
SOURCE_MAX_LENGTHS = {name: _max_length(Source, name) for name in ("name", "slug", "domain", "language")}

_SLUG = re.compile(r"^[-a-zA-Z0-9_]+\Z")
_COUNTRY = re.compile(r"^[A-Za-z]{2}\Z")
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*\Z")
# A light check (URLValidator costs more than parsing the whole record): a scheme the URL
# field accepts, a host, no whitespace.
_URL = re.compile(r"^(?:https?|ftps?)://[^\s/?#]+(?:[/?#]\S*)?\Z", re.IGNORECASE)
DATE_EXAMPLE = "2024-05-01T09:30:00Z"


def normalize_text(text: str) -> str:
    """The canonical form of an imported text: a leading U+FEFF (BOM) dropped, CRLF and CR
    turned into LF. Nothing else."""
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


class NormalisedOffsets:
    """Where an offset into a text lands once normalize_text has changed it: the BOM and the CR
    of each CRLF are gone, so an offset moves back by the characters removed before it."""

    def __init__(self, text: str) -> None:
        self.removed = [0] if text.startswith("\ufeff") else []
        if "\r\n" in text:
            self.removed += [m.start() for m in re.finditer("\r\n", text)]

    def __call__(self, offset: int) -> int:
        return offset - bisect.bisect_left(self.removed, offset)


def title_from_text(text: str) -> str:
    """The title of a document that names none: its first non-blank line, stripped and cut to
    the title's maximum length (the line also stays in the text)."""
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return first[: MAX_LENGTHS["title"]]


def text_sha256(text: str) -> str:
    """SHA-256 (hex) of the text encoded as UTF-8. Raises UnicodeEncodeError on a lone surrogate."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class SourceSpec:
    """A source given as an object: created if no source has its slug."""

    slug: str
    name: str
    domain: str = ""
    country: str = ""
    language: str = ""


SourceRef = str | SourceSpec


@dataclass(slots=True)
class DocumentRow:
    text: str
    text_sha256: str
    source: SourceRef | None
    title: str = ""
    url: str = ""
    author: str = ""
    external_id: str = ""
    published_at: datetime | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    line: int | None = None
    item: int | None = None


def _wrong_type(expected: str, value: object) -> str:
    return f"must be {expected}, not {a_type_name(value)}"


def unstorable(value: str) -> str | None:
    """Why the database cannot store this string (a NUL, a lone surrogate), or None."""
    if "\x00" in value:
        return f"contains a NUL character (U+0000) at position {value.index(chr(0))}, which cannot be stored"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        return (
            f"contains an unpaired surrogate (U+{ord(value[error.start]):04X}) at position {error.start}: "
            "not valid Unicode"
        )
    return None


# The years a publication time may fall in, in UTC: Python's datetime holds years 1 to 9999 in
# every time zone, and a time stored past that (9999-12-31T23:59:59-14:00) could not be read back.
PUBLISHED_YEARS = (1, 9998)


def published_at_readable(value: datetime) -> bool:
    """Whether `value`, once in UTC, falls within PUBLISHED_YEARS."""
    try:
        year = value.astimezone(UTC).year
    except OverflowError:
        return False
    return PUBLISHED_YEARS[0] <= year <= PUBLISHED_YEARS[1]


def parse_published_at(value: str) -> datetime | None:
    """An ISO 8601 date or date-time; naive means UTC. None when it is not one."""
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _json_problem(value: Any, path: str) -> str | None:
    """Why `value` cannot be stored as JSON in the database, naming where, or None."""
    if value is None or isinstance(value, bool | int):
        return None
    if isinstance(value, str):
        problem = unstorable(value)
        return f"the value at {path} {problem}" if problem else None
    if isinstance(value, float):
        return (
            None
            if math.isfinite(value)
            else f"the value at {path} is NaN or Infinity, which JSON cannot hold"
        )
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                return f"the key {key!r} in {path} is not a string"
            problem = unstorable(key)
            if problem:
                return f"a key in {path} {problem}"
            problem = _json_problem(item, f"{path}.{key}")
            if problem:
                return problem
        return None
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            problem = _json_problem(item, f"{path}[{index}]")
            if problem:
                return problem
        return None
    return f"the value at {path} is of type {type(value).__name__}, which is not JSON"


def _source_spec(value: Mapping[str, Any], problems: list[tuple[str, str]]) -> SourceSpec | None:
    before = len(problems)
    for key in value:
        if key not in SOURCE_FIELDS:
            problems.append(
                (f"source.{key}", f"unknown field; a source object has {', '.join(SOURCE_FIELDS)}")
            )
    strings: dict[str, str] = {}
    for key in SOURCE_FIELDS:
        raw = value.get(key)
        if raw is None:
            continue
        if not isinstance(raw, str):
            problems.append((f"source.{key}", _wrong_type("a string", raw)))
            continue
        raw = raw.strip()
        limit = SOURCE_MAX_LENGTHS.get(key)
        if limit is not None and len(raw) > limit:
            problems.append((f"source.{key}", f"is {len(raw)} characters long, over the limit of {limit}"))
        elif unstorable(raw):
            problems.append((f"source.{key}", str(unstorable(raw))))
        strings[key] = raw
    name = strings.get("name", "")
    if not name:
        problems.append(("source.name", "is missing: a source object needs a name"))
    slug = strings.get("slug", "")
    if "slug" in strings:
        if not _SLUG.match(slug):
            problems.append(("source.slug", f"'{slug}' is not a slug (letters, digits, '-' and '_' only)"))
    elif name:
        slug = slugify(name)[: SOURCE_MAX_LENGTHS["slug"]].strip("-")
        if not slug:
            problems.append(("source.slug", f"cannot be made from the name '{name}'; give a `slug`"))
    country = strings.get("country", "")
    if country and not _COUNTRY.match(country):
        problems.append(("source.country", f"'{country}' is not a two-letter ISO 3166-1 code"))
    language = strings.get("language", "")
    if language and not _LANGUAGE.match(language):
        problems.append(("source.language", f"'{language}' is not a BCP 47 language tag such as en or pt-BR"))
    if len(problems) > before:
        return None
    return SourceSpec(
        slug=slug, name=name, domain=strings.get("domain", ""), country=country.upper(), language=language
    )


def row_from_record(record: Record, *, file: str, max_chars: int) -> DocumentRow | list[ImportIssue]:
    """Validate one record. Returns the row, or every problem found in it (not only the first)."""
    fields = record.fields
    problems: list[tuple[str, str]] = []

    unknown = fields.keys() - FIELD_SET
    for key in sorted(unknown, key=str):
        match = difflib.get_close_matches(str(key), [f for f in FIELDS if f not in fields], n=1)
        hint = f"did you mean `{match[0]}`?" if match else f"the fields are {', '.join(FIELDS)}"
        problems.append((str(key), f"unknown field; {hint}"))

    text = fields.get("text")
    digest = ""
    if text is None:
        problems.append(("text", "is missing"))
    elif not isinstance(text, str):
        problems.append(("text", _wrong_type("a string", text)))
    else:
        text = normalize_text(text)
        if not text or text.isspace():
            problems.append(("text", "is empty or only whitespace"))
        elif len(text) > max_chars:
            problems.append(
                (
                    "text",
                    f"is {len(text)} characters long, over the limit of {max_chars} characters "
                    "(ANNOTATOR_MAX_DOCUMENT_CHARS)",
                )
            )
        elif "\x00" in text:
            problems.append(("text", str(unstorable(text))))
        else:
            try:
                digest = text_sha256(text)
            except UnicodeEncodeError:
                problems.append(("text", str(unstorable(text))))

    strings: dict[str, str] = {}
    for key, limit in MAX_LENGTHS.items():
        value = fields.get(key)
        if value is None:
            continue
        if key == "external_id" and isinstance(value, int) and not isinstance(value, bool):
            value = str(value)  # ids are often numbers; they are stored as text
        if not isinstance(value, str):
            expected = "a string or an integer" if key == "external_id" else "a string"
            problems.append((key, _wrong_type(expected, value)))
            continue
        if limit is not None and len(value) > limit:
            problems.append((key, f"is {len(value)} characters long, over the limit of {limit}"))
            continue
        problem = unstorable(value)
        if problem:
            problems.append((key, problem))
            continue
        if key == "url" and value and not _URL.match(value):
            problems.append((key, f"'{value}' is not a valid URL (http://, https:// or ftp://)"))
            continue
        strings[key] = value

    published_at = None
    value = fields.get("published_at")
    if value is not None:
        if not isinstance(value, str):
            problems.append(
                ("published_at", _wrong_type(f"an ISO 8601 date-time string such as {DATE_EXAMPLE}", value))
            )
        elif value.strip():
            published_at = parse_published_at(value)
            if published_at is None:
                problems.append(
                    ("published_at", f"'{value}' is not an ISO 8601 date-time such as {DATE_EXAMPLE}")
                )
            elif not published_at_readable(published_at):
                first, last = PUBLISHED_YEARS
                problems.append(
                    ("published_at", f"'{value}' lies outside the years {first} to {last} in UTC")
                )
                published_at = None

    metadata: dict[str, Any] = {}
    value = fields.get("metadata")
    if value is not None:
        if not isinstance(value, Mapping):
            problems.append(("metadata", _wrong_type("an object", value)))
        else:
            problem = _json_problem(value, "metadata")
            if problem:
                problems.append(("metadata", problem))
            metadata = dict(value)

    source: SourceRef | None = None
    value = fields.get("source")
    if isinstance(value, str):
        source = value.strip()
        if not source:
            problems.append(("source", "is empty: give a source slug or object, or leave the field out"))
    elif isinstance(value, Mapping):
        source = _source_spec(value, problems)
    elif value is not None:
        problems.append(("source", _wrong_type("a source slug (a string) or a source object", value)))

    if problems:
        return [
            ImportIssue(file=file, line=record.line, field=key, message=message, item=record.item)
            for key, message in problems
        ]
    assert isinstance(text, str)
    return DocumentRow(
        text=text,
        text_sha256=digest,
        source=source,
        title=strings.get("title", ""),
        url=strings.get("url", ""),
        author=strings.get("author", ""),
        external_id=strings.get("external_id", ""),
        published_at=published_at,
        metadata=metadata,
        line=record.line,
        item=record.item,
    )
