"""Document import: one service, three doors (manage.py import_documents, the admin upload and
the API all call `documents_import` or `documents_import_records`).

Each file (each member of a zip archive counts as a file) is atomic: a file with any error
imports nothing, while the other files of the same call still import. Reading streams: memory
holds one batch of rows, never the whole file, and duplicates are found by asking the database
once per batch, so memory stays flat however large the import.

How a file is kept atomic without reading it twice: its rows are written batch by batch
inside one transaction (a savepoint when the caller already has one). The first problem rolls
that back and the rest of the file is then only validated, so the report lists every problem
(up to ImportLimits.max_issues_per_file), not only the first. One pass means the file is read
once (a zip member or an upload stream cannot always be re-read cheaply) and nothing of it is
held beyond the current batch; the price is wasted writes when a late row is bad. Because
earlier batches of the same file are already in the table (uncommitted, but visible to this
transaction), the per-batch lookup also finds duplicates across batches and across files.
"""

from __future__ import annotations

import contextlib
import json
import time
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, BinaryIO, cast

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import DatabaseError, connections, router, transaction
from django.utils import timezone

from annotator.imports import (
    PARSERS,
    FileRefused,
    ImportIssue,
    ImportLimits,
    Record,
    extension_of,
    parser_for,
    row_from_record,
)
from annotator.imports.base import a_type_name
from annotator.imports.readers import Entry, iter_entries, stream_size
from annotator.imports.rows import DocumentRow, SourceRef, SourceSpec
from annotator.models import Document, Project, Source

__all__ = [
    "ImportFile",
    "ImportIssue",
    "ImportSummary",
    "documents_import",
    "documents_import_records",
]

NO_SOURCE = "no source: give --source or a `source` field"
# Errors while reading an archive member or a file mid-way (corrupt data, a lying zip header).
READ_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError)


@dataclass(frozen=True)
class ImportFile:
    """One input file, given as a path (read from disk) or a binary stream (an upload), never
    as bytes, so a large file is streamed. A stream is read from its start and not closed."""

    name: str
    path: Path | None = None
    stream: BinaryIO | None = None

    def __post_init__(self) -> None:
        if (self.path is None) == (self.stream is None):
            raise ValueError("give exactly one of path and stream")

    @classmethod
    def from_path(cls, path: str | Path, *, name: str | None = None) -> ImportFile:
        path = Path(path)
        return cls(name=name if name is not None else str(path), path=path)

    @classmethod
    def from_upload(cls, upload: UploadedFile[bytes]) -> ImportFile:
        """From a Django upload (in memory or spooled to a temporary file). Use it while the
        request lasts; a background job should be given a saved file's path instead."""
        return cls(name=upload.name or "upload", stream=cast(BinaryIO, upload.file))

    def open(self) -> AbstractContextManager[IO[bytes]]:
        if self.path is not None:
            return self.path.open("rb")
        assert self.stream is not None
        if self.stream.seekable():
            self.stream.seek(0)
        return contextlib.nullcontext(self.stream)

    def size(self) -> int | None:
        if self.path is not None:
            with contextlib.suppress(OSError):
                return self.path.stat().st_size
            return None
        assert self.stream is not None
        if self.stream.seekable():
            self.stream.seek(0)
        return stream_size(self.stream)


@dataclass
class ImportSummary:
    """What an import did. `refused_files` lists each file that imported nothing because of an
    error; `errors` holds every problem found (str() of one reads "file:line: field: message")."""

    created: int = 0
    skipped_duplicates: int = 0
    refused_files: list[str] = field(default_factory=list)
    errors: list[ImportIssue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.refused_files

    @property
    def refused(self) -> bool:
        """The import as a whole failed: some file was refused and nothing was created (the
        API answers 400, a background job ends failed)."""
        return bool(self.refused_files) and not self.created

    def to_dict(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "skipped_duplicates": self.skipped_duplicates,
            "refused_files": list(self.refused_files),
            "errors": [issue.to_dict() for issue in self.errors],
        }


class _Rollback(Exception):
    """Raised inside a file's transaction to undo it."""


class SourceResolver:
    """Resolves source references, caching by slug. Sources created while importing a file are
    forgotten again if that file is rolled back."""

    def __init__(self, default: Source | None) -> None:
        self.default_id = default.pk if default is not None else None
        self.ids: dict[str, int] = {}
        self.absent: set[str] = set()
        self.created_in_file: list[str] = []
        self.would_create: set[str] = set()  # slugs a refused file would have created

    def _lookup(self, slug: str) -> int | None:
        if slug in self.ids:
            return self.ids[slug]
        if slug in self.absent:
            return None
        pk = Source.objects.filter(slug=slug).values_list("pk", flat=True).first()
        if pk is None:
            self.absent.add(slug)
        else:
            self.ids[slug] = pk
        return pk

    def resolve(self, ref: SourceRef | None, *, writing: bool) -> int | tuple[str, str]:
        """The source id, or (field, message). When not writing, a source that would be
        created gives 0 (the rows are never written)."""
        if ref is None:
            return self.default_id if self.default_id is not None else ("source", NO_SOURCE)
        if isinstance(ref, str):
            pk = self._lookup(ref)
            if pk is not None:
                return pk
            if ref in self.would_create:
                return 0
            return (
                "source",
                f"unknown source '{ref}'; give an existing slug or a source object to create it",
            )
        return self._resolve_spec(ref, writing=writing)

    def _resolve_spec(self, spec: SourceSpec, *, writing: bool) -> int:
        pk = self._lookup(spec.slug)
        if pk is not None:
            return pk
        if not writing:
            self.would_create.add(spec.slug)
            return 0
        source, _ = Source.objects.get_or_create(
            slug=spec.slug,
            defaults={
                "name": spec.name,
                "domain": spec.domain,
                "country": spec.country,
                "language": spec.language,
            },
        )
        self.absent.discard(spec.slug)
        self.ids[spec.slug] = source.pk
        self.created_in_file.append(spec.slug)
        return source.pk

    def file_rolled_back(self) -> None:
        """The file's transaction was rolled back: the sources it created are gone, but the
        rest of the file may still name them while it is validated."""
        for slug in self.created_in_file:
            self.ids.pop(slug, None)
            self.would_create.add(slug)
        self.created_in_file.clear()

    def file_done(self) -> None:
        self.created_in_file.clear()
        self.would_create.clear()


def document_from_row(row: DocumentRow, *, project_id: int, source_id: int) -> Document:
    """The unsaved document a checked row stands for."""
    return Document(
        project_id=project_id,
        source_id=source_id,
        external_id=row.external_id,
        title=row.title,
        url=row.url,
        author=row.author,
        published_at=row.published_at,
        text=row.text,
        text_sha256=row.text_sha256,
        metadata=row.metadata,
    )


@dataclass
class _FileResult:
    name: str
    created: int = 0
    skipped: int = 0
    records: int = 0
    issues: list[ImportIssue] = field(default_factory=list)


class _OrmWriter:
    """Any database: the duplicate lookup through the ORM, rows written with bulk_create."""

    def __init__(self, *, using: str, project_id: int, batch_size: int) -> None:
        self.using = using
        self.project_id = project_id
        self.batch_size = batch_size

    def begin(self) -> None:
        """Called first thing inside each file's transaction."""

    def stored(self, hashes: set[str]) -> set[str]:
        """Which of these text hashes the project already has (one query)."""
        return set(
            Document.objects.using(self.using)
            .filter(project_id=self.project_id, text_sha256__in=hashes)
            .values_list("text_sha256", flat=True)
        )

    def insert(self, rows: list[tuple[DocumentRow, int]]) -> None:
        Document.objects.using(self.using).bulk_create(
            [
                document_from_row(row, project_id=self.project_id, source_id=source_id)
                for row, source_id in rows
            ],
            batch_size=self.batch_size,
        )


class _PostgresCopyWriter(_OrmWriter):
    """PostgreSQL: rows written with COPY ... FROM STDIN, three times faster than bulk_create.

    bench/import_docs.py measured bulk_create at about 4,600 rows/s for 3,000-character texts
    before any parsing (psycopg escapes the elements of its UNNEST arrays one by one in Python;
    plain VALUES is slower still) against about 12,000 rows/s for COPY. Columns the import
    does not set get the model field's default, so a field added to Document later still gets
    a value. The COPY is recorded in connection.queries_log like any query when queries are
    logged (DEBUG, query-count assertions in tests).

    The server's time then goes mostly to compressing the texts (TOAST, pglz by default):
    where the server has lz4 (PostgreSQL 14+), each file's transaction uses it (SET LOCAL
    default_toast_compression), which halves that. A column compression set on
    annotator_document.text (ALTER COLUMN text SET COMPRESSION lz4) takes precedence.
    """

    FIELDS = ("project", "source", *Document.CONTENT_FIELDS)

    def __init__(self, *, using: str, project_id: int, batch_size: int) -> None:
        super().__init__(using=using, project_id=project_id, batch_size=batch_size)
        connection = connections[using]
        quote = connection.ops.quote_name
        fields = {f.name: f for f in Document._meta.concrete_fields if not f.primary_key}
        others = [f for name, f in fields.items() if name not in self.FIELDS]
        columns = [str(fields[name].column) for name in (*self.FIELDS, *(f.name for f in others))]
        self.constants = tuple(f.get_db_prep_save(f.get_default(), connection) for f in others)
        import psycopg  # only PostgreSQL installs need it

        # Binary COPY spares the client the escaping and the server the parsing of the texts; it
        # needs each column's type, so a column psycopg does not know means the text format.
        types = [
            psycopg.adapters.types.get(f.db_type(connection).split("(")[0].strip())  # type: ignore[union-attr]
            for f in [*(fields[name] for name in self.FIELDS), *others]
        ]
        self.types = [info.oid for info in types if info is not None]
        self.binary = len(self.types) == len(types)
        table = quote(Document._meta.db_table)
        self.copy_sql = f"COPY {table} ({', '.join(quote(c) for c in columns)}) FROM STDIN" + (
            " (FORMAT BINARY)" if self.binary else ""
        )
        project_column, hash_column = (
            quote(str(fields["project"].column)),
            quote(str(fields["text_sha256"].column)),
        )
        # Identifiers only, from the model and quoted; the values are parameters.
        self.stored_sql = (
            f"SELECT {hash_column} FROM {table} WHERE {project_column} = %s AND {hash_column} = ANY(%s)"  # noqa: S608
        )
        self.lz4: bool | None = None

    def begin(self) -> None:
        with connections[self.using].cursor() as cursor:
            if self.lz4 is None:
                cursor.execute("SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression'")
                found = cursor.fetchone()
                self.lz4 = bool(found and found[0] and "lz4" in found[0])
            if self.lz4:
                cursor.execute("SET LOCAL default_toast_compression = 'lz4'")

    def stored(self, hashes: set[str]) -> set[str]:
        # One array parameter instead of the ORM's IN with a placeholder per hash: a tenth of
        # the client time.
        with connections[self.using].cursor() as cursor:
            cursor.execute(self.stored_sql, [self.project_id, list(hashes)])
            return {found for (found,) in cursor.fetchall()}

    def insert(self, rows: list[tuple[DocumentRow, int]]) -> None:
        connection = connections[self.using]
        now = timezone.now()
        project_id = self.project_id
        constants = self.constants
        binary = self.binary
        dumps = json.dumps
        started = time.monotonic()
        # The COPY goes to psycopg's own cursor: wrap its errors as Django's (IntegrityError...).
        with (
            connection.cursor() as cursor,
            connection.wrap_database_errors,
            cursor.cursor.copy(self.copy_sql) as copy,
        ):
            if binary:
                copy.set_types(self.types)
            write_row = copy.write_row
            for row, source_id in rows:
                write_row(
                    (
                        project_id,
                        source_id,
                        row.external_id,
                        row.title,
                        row.url,
                        row.author,
                        row.published_at,
                        row.text,
                        row.text_sha256,
                        row.metadata if binary else dumps(row.metadata, ensure_ascii=False),
                        now,
                        *constants,
                    )
                )
        if connection.queries_logged:
            connection.queries_log.append(
                {"sql": f"{self.copy_sql} -- {len(rows)} rows", "time": f"{time.monotonic() - started:.3f}"}
            )


def _file_issue(name: str, message: str) -> ImportIssue:
    return ImportIssue(file=name, line=None, field=None, message=message)


class _Importer:
    """The state of one call: project, sources, limits and the running count for `progress`."""

    def __init__(
        self,
        *,
        project: Project,
        default_source: Source | None,
        progress: Callable[[int], None] | None,
        batch_size: int,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.project_id = project.pk
        self.using = router.db_for_write(Document)
        use_copy = connections[self.using].vendor == "postgresql" and getattr(
            settings, "ANNOTATOR_IMPORT_USE_COPY", True
        )
        writer = _PostgresCopyWriter if use_copy else _OrmWriter
        self.writer = writer(using=self.using, project_id=self.project_id, batch_size=batch_size)
        self.sources = SourceResolver(default_source)
        self.progress = progress
        self.batch_size = batch_size
        self.limits = ImportLimits.from_settings()
        self.processed = 0
        self.summary = ImportSummary()

    # -- bookkeeping --------------------------------------------------------------------------

    def _report(self) -> None:
        if self.progress is not None:
            self.progress(self.processed)

    def refuse(self, issues: list[ImportIssue], name: str) -> None:
        self.summary.refused_files.append(name)
        self.summary.errors.extend(issues)

    def finish(self, result: _FileResult) -> None:
        if not result.issues and not result.records:
            result.issues.append(_file_issue(result.name, "has no documents"))
        if result.issues:
            self.refuse(result.issues, result.name)
        else:
            self.summary.created += result.created
            self.summary.skipped_duplicates += result.skipped
        self._report()

    # -- one file -----------------------------------------------------------------------------

    def import_entry(self, entry: Entry) -> None:
        parser = parser_for(entry.name)
        if parser is None:
            extension = extension_of(entry.name)
            known = ", ".join([*sorted(PARSERS), ".zip"])
            what = f"unsupported file type '{extension}'" if extension else "no file extension"
            issue = _file_issue(entry.name, f"{what}; use one of {known}")
            self.refuse([issue], entry.name)
            return
        if entry.size == 0:
            self.refuse(
                [_file_issue(entry.name, "is empty (0 bytes)")],
                entry.name,
            )
            return
        result = _FileResult(entry.name)
        try:
            with entry.open() as stream:
                self.import_items(result, parser.parse(stream, name=entry.name, limits=self.limits))
        except READ_ERRORS as error:  # opening it failed
            result.issues.append(_file_issue(entry.name, f"cannot be read ({error})"))
        self.finish(result)

    def import_items(self, result: _FileResult, items: Iterator[Record | ImportIssue]) -> None:
        """Write the file's rows in one transaction; on the first problem roll it back and
        go on validating the rest. Call finish(result) afterwards."""
        can_go_on = True
        try:
            with transaction.atomic(using=self.using):
                self.writer.begin()
                self._consume(result, items, writing=True)
                if result.issues:
                    raise _Rollback
        except _Rollback:
            pass
        except DatabaseError as error:
            # A concurrent import stored the same text, or the database refused a value.
            first_line = str(error).strip().split("\n", 1)[0]
            result.issues.append(_file_issue(result.name, f"could not be stored ({first_line})"))
            can_go_on = False
        except READ_ERRORS as error:
            result.issues.append(_file_issue(result.name, f"cannot be read ({error})"))
            can_go_on = False
        if result.issues:
            self.sources.file_rolled_back()
            result.created = result.skipped = 0
            if can_go_on:
                try:
                    self._consume(result, items, writing=False)
                except READ_ERRORS as error:
                    result.issues.append(_file_issue(result.name, f"cannot be read ({error})"))
        self.sources.file_done()

    def _consume(self, result: _FileResult, items: Iterator[Record | ImportIssue], *, writing: bool) -> None:
        """Turn items into rows. Writing: batch and flush the rows, return at the first problem.
        Not writing: only collect problems, up to the limit."""
        name = result.name
        max_chars = self.limits.max_document_chars
        max_issues = self.limits.max_issues_per_file
        batch: list[tuple[DocumentRow, int]] = []
        try:
            for item in items:
                if isinstance(item, ImportIssue):
                    result.issues.append(item)
                else:
                    result.records += 1
                    self.processed += 1
                    row = row_from_record(item, file=name, max_chars=max_chars)
                    if isinstance(row, list):
                        result.issues.extend(row)
                    else:
                        source = self.sources.resolve(row.source, writing=writing)
                        if isinstance(source, tuple):
                            result.issues.append(
                                ImportIssue(
                                    file=name,
                                    line=row.line,
                                    field=source[0],
                                    message=source[1],
                                    item=row.item,
                                )
                            )
                        elif writing:
                            batch.append((row, source))
                            if len(batch) >= self.batch_size:
                                self._flush(result, batch)
                        elif self.processed % self.batch_size == 0:
                            self._report()
                if result.issues:
                    if writing:
                        return
                    if len(result.issues) >= max_issues:
                        result.issues.append(
                            ImportIssue(
                                file=name, line=None, field=None, message=f"stopped after {max_issues} errors"
                            )
                        )
                        return
        except FileRefused as refused:
            result.issues.append(refused.issue)
        if writing and batch and not result.issues:
            self._flush(result, batch)

    def _flush(self, result: _FileResult, batch: list[tuple[DocumentRow, int]]) -> None:
        """Store a batch: one query for the hashes already stored, one INSERT (or COPY) for the
        rest. Runs inside the file's transaction."""
        stored = self.writer.stored({row.text_sha256 for row, _ in batch})
        new: list[tuple[DocumentRow, int]] = []
        for row, source_id in batch:
            if row.text_sha256 in stored:
                result.skipped += 1
            else:
                stored.add(row.text_sha256)
                new.append((row, source_id))
        if new:
            self.writer.insert(new)
        result.created += len(new)
        batch.clear()
        self._report()


def documents_import(
    *,
    project: Project,
    files: Sequence[ImportFile],
    default_source: Source | None = None,
    progress: Callable[[int], None] | None = None,
    batch_size: int = 1000,
) -> ImportSummary:
    """Import documents from .txt, .jsonl, .json, .csv and .zip files into `project`.

    Each file (and each member of an archive) imports whole or not at all. Duplicates (same
    normalised text as a stored document of the project or an earlier one of this import) are
    skipped and counted. `progress` is called with the number of documents read so far.
    Opens its own transaction per file: do not call it inside a transaction you may roll back
    expecting the import to survive.
    """
    importer = _Importer(
        project=project, default_source=default_source, progress=progress, batch_size=batch_size
    )
    for file in files:
        try:
            for entry in iter_entries(file.name, file.open, file.size(), importer.limits):
                if isinstance(entry, ImportIssue):
                    importer.refuse([entry], entry.file)
                else:
                    importer.import_entry(entry)
        except READ_ERRORS as error:
            message = f"cannot be read ({error})"
            importer.refuse([_file_issue(file.name, message)], file.name)
    return importer.summary


def documents_import_records(
    *,
    project: Project,
    records: Iterable[Mapping[str, Any]],
    default_source: Source | None = None,
    name: str = "request",
    progress: Callable[[int], None] | None = None,
    batch_size: int = 1000,
) -> ImportSummary:
    """Import already parsed records (a JSON list posted to the API), with the same fields and
    rules as a .json file. The records are one file named `name`: all import, or none.
    Problems carry `item` (the index in the list) and no line."""
    importer = _Importer(
        project=project, default_source=default_source, progress=progress, batch_size=batch_size
    )

    def items() -> Iterator[Record | ImportIssue]:
        for index, record in enumerate(records):
            if isinstance(record, Mapping):
                yield Record(fields=record, item=index)
            else:
                message = f"must be a JSON object, not {a_type_name(record)}"
                yield ImportIssue(file=name, line=None, field=None, message=message, item=index)

    result = _FileResult(name)
    importer.import_items(result, items())
    importer.finish(result)
    return importer.summary
