"""Document import: formats, bad input, deduplication, normalisation, sources, the command."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from annotator.imports import ImportIssue, normalize_text
from annotator.imports.formats import JsonParser
from annotator.imports.services import (
    ImportFile,
    ImportSummary,
    documents_import,
    documents_import_records,
)
from annotator.models import Document, Project, Source
from tests.factories import zip_bytes

FIXTURES = Path(__file__).parent / "fixtures" / "import"

pytestmark = pytest.mark.django_db


@pytest.fixture
def project() -> Project:
    return Project.objects.create(name="Elections", slug="elections")


@pytest.fixture
def source() -> Source:
    return Source.objects.create(name="Daily Planet", slug="daily-planet", domain="dailyplanet.example")


def write(directory: Path, name: str, content: str | bytes) -> ImportFile:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return ImportFile.from_path(path, name=name)


def jsonl(*records: dict[str, Any]) -> str:
    return "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records)


def run(project: Project, *files: ImportFile, source: Source | None = None, **kwargs: Any) -> ImportSummary:
    return documents_import(project=project, files=list(files), default_source=source, **kwargs)


def errors(summary: ImportSummary) -> list[str]:
    return [str(issue) for issue in summary.errors]


def texts(project: Project) -> list[str]:
    return list(Document.objects.filter(project=project).order_by("id").values_list("text", flat=True))


# -- formats --------------------------------------------------------------------------------------


def test_jsonl_imports_every_field(tmp_path: Path, project: Project, source: Source) -> None:
    record = {
        "text": "The mayor said turnout rose.",
        "title": "Turnout rises",
        "url": "https://dailyplanet.example/turnout",
        "source": "daily-planet",
        "author": "Lois Lane",
        "published_at": "2024-05-01T09:30:00+02:00",
        "external_id": "dp-1",
        "metadata": {"section": "politics", "tags": ["vote"]},
    }
    summary = run(project, write(tmp_path, "articles.jsonl", jsonl(record)))

    assert summary == ImportSummary(created=1, skipped_duplicates=0, refused_files=[], errors=[])
    document = Document.objects.get(project=project)
    assert document.source == source
    assert document.text == "The mayor said turnout rose."
    assert document.text_sha256 == hashlib.sha256(b"The mayor said turnout rose.").hexdigest()
    assert (document.title, document.url, document.author, document.external_id) == (
        "Turnout rises",
        "https://dailyplanet.example/turnout",
        "Lois Lane",
        "dp-1",
    )
    assert document.published_at == datetime(2024, 5, 1, 7, 30, tzinfo=UTC)
    assert document.metadata == {"section": "politics", "tags": ["vote"]}


def test_jsonl_skips_blank_lines_and_takes_crlf_line_endings(
    tmp_path: Path, project: Project, source: Source
) -> None:
    content = '{"text": "one"}\r\n\r\n   \n{"text": "two"}'
    summary = run(project, write(tmp_path, "a.jsonl", content), source=source)

    assert (summary.created, summary.refused_files) == (2, [])
    assert texts(project) == ["one", "two"]


def test_json_array_imports_each_object(tmp_path: Path, project: Project, source: Source) -> None:
    content = json.dumps([{"text": "first", "title": "A"}, {"text": "second", "external_id": 17}])
    summary = run(project, write(tmp_path, "a.json", content), source=source)

    assert (summary.created, summary.refused_files) == (2, [])
    assert list(Document.objects.order_by("id").values_list("text", "title", "external_id")) == [
        ("first", "A", ""),
        ("second", "", "17"),
    ]


def test_json_single_object_imports_one_document(tmp_path: Path, project: Project, source: Source) -> None:
    summary = run(project, write(tmp_path, "one.json", '{"text": "alone"}'), source=source)

    assert (summary.created, summary.refused_files) == (1, [])
    assert texts(project) == ["alone"]


def test_json_array_is_read_in_small_chunks_across_characters_and_items(
    tmp_path: Path, project: Project, source: Source, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(JsonParser, "chunk_bytes", 5)
    records = [
        {"text": f'caf\u00e9 \U0001f600 number {i} with \\ and "quotes"', "metadata": {"n": i}}
        for i in range(30)
    ]
    content = "[\n" + ",\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n]\n"
    summary = run(project, write(tmp_path, "a.json", content), source=source)

    assert (summary.created, summary.refused_files) == (30, [])
    assert texts(project) == [r["text"] for r in records]


def test_json_error_after_many_chunks_names_its_line_and_column(
    tmp_path: Path, project: Project, source: Source, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(JsonParser, "chunk_bytes", 7)
    content = '[\n  {"text": "a"},\n  {"text": "b"},\n  {"text": "c" "title": "x"}\n]'
    summary = run(project, write(tmp_path, "bad.json", content), source=source)

    assert errors(summary) == ["bad.json:4: item [2]: invalid JSON at column 16: Expecting ',' delimiter"]


def test_csv_imports_rows_and_puts_unknown_columns_into_metadata(
    tmp_path: Path, project: Project, source: Source
) -> None:
    content = (
        "text,title,Published_At,metadata,desk,empty\r\n"
        '"Line one\r\nline two, with a comma",Vote,2024-05-01,"{""a"": 1}",politics,\r\n'
        "Second,,,,,\r\n"
    )
    summary = run(project, write(tmp_path, "a.csv", content), source=source)

    assert (summary.created, summary.refused_files) == (2, [])
    first, second = Document.objects.order_by("id")
    assert first.text == "Line one\nline two, with a comma"
    assert first.title == "Vote"
    assert first.published_at == datetime(2024, 5, 1, tzinfo=UTC)
    assert first.metadata == {"a": 1, "desk": "politics"}
    assert (second.text, second.title, second.published_at, second.metadata) == ("Second", "", None, {})


def test_csv_with_semicolons_or_tabs_is_read_with_that_delimiter(
    tmp_path: Path, project: Project, source: Source
) -> None:
    summary = run(
        project,
        write(tmp_path, "semicolon.csv", "text;title\nBonjour, le monde;Salut\n"),
        write(tmp_path, "tab.csv", "title\ttext\nHola\tHola, mundo\n"),
        source=source,
    )

    assert (summary.created, summary.refused_files) == (2, [])
    assert list(Document.objects.order_by("id").values_list("text", "title")) == [
        ("Bonjour, le monde", "Salut"),
        ("Hola, mundo", "Hola"),
    ]


def test_csv_source_cell_may_hold_a_source_object(tmp_path: Path, project: Project) -> None:
    content = 'text,source\nHello,"{""name"": ""The Herald"", ""domain"": ""herald.example""}"\n'
    summary = run(project, write(tmp_path, "a.csv", content))

    assert (summary.created, summary.refused_files) == (1, [])
    assert Document.objects.get().source.slug == "the-herald"


def test_txt_keeps_the_whole_file_as_text_and_takes_the_title_from_the_first_line(
    tmp_path: Path, project: Project, source: Source
) -> None:
    summary = run(
        project, write(tmp_path, "story.txt", "\n  Storm hits coast  \n\nWinds of 100 km/h.\n"), source=source
    )

    assert (summary.created, summary.refused_files) == (1, [])
    document = Document.objects.get()
    assert document.text == "\n  Storm hits coast  \n\nWinds of 100 km/h.\n"
    assert document.title == "Storm hits coast"
    assert document.external_id == "story.txt"
    assert document.source == source


def test_fixture_files_of_every_format_import(project: Project, source: Source) -> None:
    files = [ImportFile.from_path(path, name=path.name) for path in sorted(FIXTURES.iterdir())]
    summary = run(project, *files, source=source)

    assert summary.refused_files == []
    assert summary.created == 6
    assert Document.objects.filter(project=project).count() == 6


def test_zip_imports_members_by_extension_including_one_nested_archive(
    tmp_path: Path, project: Project, source: Source
) -> None:
    inner = zip_bytes({"deep.txt": "From the inner archive"})
    archive = zip_bytes(
        {
            "2024/may/a.jsonl": jsonl({"text": "From JSONL"}),
            "2024/b.csv": "text\nFrom CSV\n",
            "c.json": '[{"text": "From JSON"}]',
            "d.txt": "From TXT",
            "inner.zip": inner,
            "__MACOSX/._d.txt": b"\x00\x05\x16\x07",
            ".DS_Store": b"\x00\x00",
            "folder/": b"",
        }
    )
    summary = run(project, write(tmp_path, "batch.zip", archive), source=source)

    assert (summary.created, summary.refused_files) == (5, [])
    assert sorted(texts(project)) == [
        "From CSV",
        "From JSON",
        "From JSONL",
        "From TXT",
        "From the inner archive",
    ]


def test_zip_member_with_an_error_is_refused_alone(tmp_path: Path, project: Project, source: Source) -> None:
    archive = zip_bytes({"good.jsonl": jsonl({"text": "fine"}), "bad.jsonl": jsonl({"title": "no text"})})
    summary = run(project, write(tmp_path, "batch.zip", archive), source=source)

    assert summary.created == 1
    assert summary.refused_files == ["batch.zip/bad.jsonl"]
    assert errors(summary) == ["batch.zip/bad.jsonl:1: text: is missing"]


def test_upload_can_be_imported_from_its_stream(project: Project, source: Source) -> None:
    upload = SimpleUploadedFile("upload.jsonl", jsonl({"text": "uploaded"}).encode())
    summary = documents_import(project=project, files=[ImportFile.from_upload(upload)], default_source=source)

    assert (summary.created, summary.refused_files) == (1, [])
    assert texts(project) == ["uploaded"]


def test_records_import_like_a_json_file(project: Project, source: Source) -> None:
    summary = documents_import_records(
        project=project, records=[{"text": "posted", "source": "daily-planet"}], default_source=None
    )

    assert (summary.created, summary.refused_files) == (1, [])
    assert Document.objects.get().source == source


def test_records_with_an_error_import_nothing_and_name_the_item(project: Project, source: Source) -> None:
    records: list[Any] = [{"text": "fine"}, {"text": "x", "title": 3}, "not an object"]
    summary = documents_import_records(project=project, records=records, default_source=source, name="api")

    assert summary.created == 0
    assert summary.refused_files == ["api"]
    assert errors(summary) == [
        "api: item [1]: title: must be a string, not a number",
        "api: item [2]: must be a JSON object, not a string",
    ]
    assert not Document.objects.exists()


def test_summary_to_dict_is_json(tmp_path: Path, project: Project, source: Source) -> None:
    summary = run(project, write(tmp_path, "bad.jsonl", '{"text": 1}\n'), source=source)

    assert json.loads(json.dumps(summary.to_dict())) == {
        "created": 0,
        "skipped_duplicates": 0,
        "refused_files": ["bad.jsonl"],
        "errors": [
            {
                "file": "bad.jsonl",
                "line": 1,
                "field": "text",
                "message": "must be a string, not a number",
                "item": None,
                "text": "bad.jsonl:1: text: must be a string, not a number",
            }
        ],
    }


# -- bad input: each refuses its file, names file, line and field, and a good file still imports --

BAD_INPUT = [
    pytest.param(
        "bad.jsonl",
        b'{"text": "fine"}\n{"text": "caf\xe9"}\n',
        ["bad.jsonl:2: not valid UTF-8: byte 0xE9 at byte offset 30; save the file as UTF-8"],
        id="not-utf8-jsonl",
    ),
    pytest.param(
        "bad.txt",
        b"Headline\nna\xefve\n",
        ["bad.txt:2: not valid UTF-8: byte 0xEF at byte offset 11; save the file as UTF-8"],
        id="not-utf8-txt",
    ),
    pytest.param(
        "bad.csv",
        b"text\nfine\n\xff\n",
        ["bad.csv:3: not valid UTF-8: byte 0xFF at byte offset 10; save the file as UTF-8"],
        id="not-utf8-csv",
    ),
    pytest.param(
        "bad.jsonl",
        b'{"text": "fine"}\n{"text": "a\x00b"}\n',
        ["bad.jsonl:2: contains a NUL byte at byte offset 28: a binary file, not UTF-8 text"],
        id="nul-byte",
    ),
    pytest.param(
        "bad.json",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        ["bad.json:3: contains a NUL byte at byte offset 8: a binary file, not UTF-8 text"],
        id="binary-file",
    ),
    pytest.param(
        "bad.txt",
        "Hello".encode("utf-16"),
        ["bad.txt:1: is UTF-16 encoded (it starts with a UTF-16 byte order mark); save it as UTF-8"],
        id="utf16",
    ),
    pytest.param(
        "bad.jsonl",
        b'{"text": "fine"}\n{"text": "x",}\n{"text": "y"\n',
        [
            "bad.jsonl:2: invalid JSON at column 14: Expecting property name enclosed in double quotes",
            "bad.jsonl:3: invalid JSON at column 13: Expecting ',' delimiter",
        ],
        id="invalid-json-lines",
    ),
    pytest.param(
        "bad.json",
        b'[{"text": "fine"},\n {"text": "x",]',
        [
            "bad.json:2: item [1]: invalid JSON at column 15: Expecting property name enclosed in double quotes"
        ],
        id="invalid-json-array",
    ),
    pytest.param(
        "bad.json",
        b'[{"text": "fine"}\n {"text": "x"}]',
        ["bad.json:2: invalid JSON at column 2: expected ',' or ']' after an item, found '{'"],
        id="json-missing-comma",
    ),
    pytest.param(
        "bad.json",
        b'[{"text": "fine"},\n {"text": "x"}',
        [
            "bad.json:2: invalid JSON at column 15: expected ',' or ']' after an item, found the end of the file"
        ],
        id="json-array-not-closed",
    ),
    pytest.param(
        "bad.json",
        b'[{"text": "fine"}] []',
        ["bad.json:1: invalid JSON at column 20: unexpected data after the end of the JSON value"],
        id="json-trailing-data",
    ),
    pytest.param(
        "bad.json",
        b'"just a string"',
        [
            "bad.json:1: invalid JSON at column 1: expected an array '[' of objects or one object '{', found '\"'"
        ],
        id="json-not-array",
    ),
    pytest.param(
        "bad.json",
        b'[{"text": "fine"}, 42]',
        ["bad.json:1: item [1]: must be a JSON object, not a number"],
        id="json-item-not-object",
    ),
    pytest.param(
        "bad.jsonl",
        b'["text"]\n',
        ["bad.jsonl:1: must be a JSON object per line, not an array"],
        id="jsonl-line-not-object",
    ),
    pytest.param(
        "bad.jsonl",
        b'{"text": "fine"}\n{"title": "No text"}\n{"text": ""}\n{"text": " \\n\\t "}\n{"text": null}\n',
        [
            "bad.jsonl:2: text: is missing",
            "bad.jsonl:3: text: is empty or only whitespace",
            "bad.jsonl:4: text: is empty or only whitespace",
            "bad.jsonl:5: text: is missing",
        ],
        id="missing-or-empty-text",
    ),
    pytest.param(
        "bad.json",
        b'[\n  {"text": "fine"},\n  {"text": "x", "title": 42, "author": ["a"], "url": "not a url"}\n]',
        [
            "bad.json:3: item [1]: title: must be a string, not a number",
            "bad.json:3: item [1]: url: 'not a url' is not a valid URL (http://, https:// or ftp://)",
            "bad.json:3: item [1]: author: must be a string, not an array",
        ],
        id="wrong-types",
    ),
    pytest.param(
        "bad.jsonl",
        b'{"text": "x", "metadata": [1, 2]}\n{"text": "y", "metadata": {"n": NaN}}\n',
        [
            "bad.jsonl:1: metadata: must be an object, not an array",
            "bad.jsonl:2: metadata: the value at metadata.n is NaN or Infinity, which JSON cannot hold",
        ],
        id="metadata-not-object",
    ),
    pytest.param(
        "bad.jsonl",
        b'{"text": "x", "published_at": "yesterday"}\n{"text": "y", "published_at": 1714550400}\n',
        [
            "bad.jsonl:1: published_at: 'yesterday' is not an ISO 8601 date-time such as 2024-05-01T09:30:00Z",
            "bad.jsonl:2: published_at: must be an ISO 8601 date-time string such as 2024-05-01T09:30:00Z, "
            "not a number",
        ],
        id="published-at-not-a-date",
    ),
    pytest.param(
        "bad.jsonl",
        b'{"text": "x", "published_at": "9999-12-31T23:59:59-14:00"}\n'
        b'{"text": "y", "published_at": "0001-01-01T00:00:00+14:00"}\n'
        b'{"text": "z", "published_at": "9999-06-01T00:00:00Z"}\n',
        [
            "bad.jsonl:1: published_at: '9999-12-31T23:59:59-14:00' lies outside the years 1 to 9998 in UTC",
            "bad.jsonl:2: published_at: '0001-01-01T00:00:00+14:00' lies outside the years 1 to 9998 in UTC",
            "bad.jsonl:3: published_at: '9999-06-01T00:00:00Z' lies outside the years 1 to 9998 in UTC",
        ],
        id="published-at-unreadable-once-stored",
    ),
    pytest.param(
        "bad.jsonl",
        b'{"text": "x", "titel": "Typo", "body": 1}\n',
        [
            "bad.jsonl:1: body: unknown field; the fields are text, title, url, source, author, published_at, "
            "external_id, metadata",
            "bad.jsonl:1: titel: unknown field; did you mean `title`?",
        ],
        id="unknown-field",
    ),
    pytest.param(
        "bad.jsonl",
        b'{"text": "x", "source": "nowhere-news"}\n',
        [
            "bad.jsonl:1: source: unknown source 'nowhere-news'; give an existing slug or a source object to create it"
        ],
        id="unknown-source",
    ),
    pytest.param(
        "bad.jsonl",
        b'{"text": "x", "source": {"domain": "x.example", "colour": "red"}}\n{"text": "y", "source": 5}\n',
        [
            "bad.jsonl:1: source.colour: unknown field; a source object has name, domain, slug, country, language",
            "bad.jsonl:1: source.name: is missing: a source object needs a name",
            "bad.jsonl:2: source: must be a source slug (a string) or a source object, not a number",
        ],
        id="bad-source-object",
    ),
    pytest.param(
        "bad.jsonl",
        b'{"text": "lone \\ud800 surrogate"}\n{"text": "nul \\u0000 char"}\n',
        [
            "bad.jsonl:1: text: contains an unpaired surrogate (U+D800) at position 5: not valid Unicode",
            "bad.jsonl:2: text: contains a NUL character (U+0000) at position 4, which cannot be stored",
        ],
        id="unstorable-characters",
    ),
    pytest.param(
        "notes.docx",
        b"PK\x03\x04",
        ["notes.docx: unsupported file type '.docx'; use one of .csv, .json, .jsonl, .txt, .zip"],
        id="unsupported-extension",
    ),
    pytest.param(
        "README",
        b"hello",
        ["README: no file extension; use one of .csv, .json, .jsonl, .txt, .zip"],
        id="no-extension",
    ),
    pytest.param("empty.jsonl", b"", ["empty.jsonl: is empty (0 bytes)"], id="empty-file"),
    pytest.param("blank.jsonl", b"\n\n  \n", ["blank.jsonl: has no documents"], id="no-documents"),
    pytest.param("empty.json", b"[]", ["empty.json: has no documents"], id="empty-array"),
    pytest.param("header.csv", b"text,title\n", ["header.csv: has no documents"], id="csv-header-only"),
    pytest.param(
        "bad.csv",
        b"body;title\nx;y\n",
        [
            "bad.csv:1: no `text` column in the header row (columns: body, title; delimiter detected: ';' (semicolon))"
        ],
        id="csv-no-text-column-semicolon",
    ),
    pytest.param(
        "bad.csv",
        b"body\ttitle\nx\ty\n",
        ["bad.csv:1: no `text` column in the header row (columns: body, title; delimiter detected: tab)"],
        id="csv-no-text-column-tab",
    ),
    pytest.param(
        "bad.csv",
        b'text,title\n"two\nlines",ok\n,empty text\nthree,cells,here\n4,"{""a"": 1}"\n',
        [
            "bad.csv:3: text: is empty or only whitespace",
            "bad.csv:4: has 3 cells but the header row has 2",
        ],
        id="csv-rows-numbered-like-a-spreadsheet",
    ),
    pytest.param(
        "bad.csv",
        b'text,metadata,desk\nx,"[1]",\ny,"{bad",\nz,"{""desk"": 1}",news\n',
        [
            "bad.csv:2: metadata: must hold a JSON object, not an array",
            "bad.csv:3: metadata: is not valid JSON (column 2: Expecting property name enclosed in double quotes)",
            "bad.csv:4: desk: is both a column and a key of the `metadata` object",
        ],
        id="csv-metadata-column",
    ),
    pytest.param(
        "bad.csv",
        b'text,title\nfine,ok\n"unclosed,ok\n',
        ["bad.csv:3: invalid CSV: unexpected end of data"],
        id="csv-unclosed-quote",
    ),
]


@pytest.mark.parametrize(("name", "content", "expected"), BAD_INPUT)
def test_bad_input_refuses_its_file_with_a_clear_error_while_a_good_file_imports(
    tmp_path: Path, project: Project, source: Source, name: str, content: bytes, expected: list[str]
) -> None:
    summary = run(
        project,
        write(tmp_path, name, content),
        write(tmp_path, "good.jsonl", jsonl({"text": "A good article."})),
        source=source,
    )

    assert errors(summary) == expected
    assert summary.refused_files == [name]
    assert summary.created == 1
    assert texts(project) == ["A good article."]


def test_a_file_without_a_source_is_refused_when_there_is_no_default(
    tmp_path: Path, project: Project
) -> None:
    summary = run(
        project, write(tmp_path, "story.txt", "Text"), write(tmp_path, "a.jsonl", jsonl({"text": "x"}))
    )

    assert errors(summary) == [
        "story.txt: source: no source: give --source or a `source` field",
        "a.jsonl:1: source: no source: give --source or a `source` field",
    ]
    assert not Document.objects.exists()


def test_over_long_document_is_refused(
    tmp_path: Path, project: Project, source: Source, settings: Any
) -> None:
    settings.ANNOTATOR_MAX_DOCUMENT_CHARS = 10
    summary = run(
        project,
        write(tmp_path, "long.jsonl", jsonl({"text": "x" * 11})),
        write(tmp_path, "long.txt", "y" * 25),
        # CRLF counts once: 15 characters on disk, 10 stored.
        write(tmp_path, "crlf.txt", "ab\r\nab\r\nab\r\n"),
        source=source,
    )

    assert errors(summary) == [
        "long.jsonl:1: text: is 11 characters long, over the limit of 10 characters (ANNOTATOR_MAX_DOCUMENT_CHARS)",
        "long.txt: text: is longer than the limit of 10 characters (ANNOTATOR_MAX_DOCUMENT_CHARS)",
    ]
    assert texts(project) == ["ab\nab\nab\n"]


def test_a_bad_row_after_written_batches_rolls_the_whole_file_back(
    tmp_path: Path, project: Project, source: Source
) -> None:
    records = [{"text": f"article {i}"} for i in range(7)] + [{"text": 8}]
    summary = run(project, write(tmp_path, "a.jsonl", jsonl(*records)), source=source, batch_size=2)

    assert summary.created == 0
    assert errors(summary) == ["a.jsonl:8: text: must be a string, not a number"]
    assert not Document.objects.exists()


def test_errors_stop_after_the_limit(tmp_path: Path, project: Project, source: Source, settings: Any) -> None:
    settings.ANNOTATOR_IMPORT_MAX_ISSUES_PER_FILE = 3
    summary = run(project, write(tmp_path, "a.jsonl", '{"text": 1}\n' * 10), source=source)

    assert errors(summary) == [
        "a.jsonl:1: text: must be a string, not a number",
        "a.jsonl:2: text: must be a string, not a number",
        "a.jsonl:3: text: must be a string, not a number",
        "a.jsonl: stopped after 3 errors",
    ]


# -- zip safety -----------------------------------------------------------------------------------


def test_zip_with_path_traversal_is_refused_whole(tmp_path: Path, project: Project, source: Source) -> None:
    archive = zip_bytes({"ok.txt": "fine", "../../etc/evil.txt": "evil"})
    summary = run(project, write(tmp_path, "evil.zip", archive), source=source)

    assert errors(summary) == [
        "evil.zip: entry '../../etc/evil.txt' has a path that climbs out of the archive ('..'); archive refused"
    ]
    assert summary.refused_files == ["evil.zip"]
    assert not Document.objects.exists()


def test_zip_with_an_absolute_path_is_refused(tmp_path: Path, project: Project, source: Source) -> None:
    summary = run(project, write(tmp_path, "abs.zip", zip_bytes({"/tmp/x.txt": "x"})), source=source)

    assert errors(summary) == ["abs.zip: entry '/tmp/x.txt' has an absolute path; archive refused"]


def test_zip_nested_more_than_one_level_is_refused(tmp_path: Path, project: Project, source: Source) -> None:
    level3 = zip_bytes({"deep.txt": "too deep"})
    level2 = zip_bytes({"level3.zip": level3, "ok.txt": "one level is fine"})
    summary = run(project, write(tmp_path, "outer.zip", zip_bytes({"level2.zip": level2})), source=source)

    assert errors(summary) == [
        "outer.zip/level2.zip/level3.zip: is an archive inside an archive inside an archive; "
        "only one level of nesting is read"
    ]
    assert texts(project) == ["one level is fine"]


def test_zip_bomb_is_refused_by_its_compression_ratio(
    tmp_path: Path, project: Project, source: Source
) -> None:
    archive = zip_bytes({"bomb.txt": b" " * (8 * 1024 * 1024) + b"x"})
    info = zipfile.ZipFile(io.BytesIO(archive)).getinfo("bomb.txt")
    ratio = info.file_size / info.compress_size
    summary = run(project, write(tmp_path, "bomb.zip", archive), source=source)

    assert errors(summary) == [
        f"bomb.zip: entry 'bomb.txt' has a compression ratio of {ratio:.0f}:1, over the limit of 100:1 "
        "(a zip bomb?); archive refused"
    ]


def test_zip_of_many_small_members_is_refused_by_their_ratio_together(
    tmp_path: Path, project: Project, source: Source
) -> None:
    # 200 members of 512 KiB each: every one is under the per-member check, the whole is 100 MiB.
    members = {f"part{i:03}.txt": b" " * (512 * 1024) for i in range(200)}
    archive = zip_bytes(members)
    summary = run(project, write(tmp_path, "bombs.zip", archive), source=source)

    [message] = errors(summary)
    assert message.startswith("bombs.zip: its entries have a compression ratio of ")
    assert message.endswith(":1 together, over the limit of 100:1 (a zip bomb?); archive refused")
    assert texts(project) == []


def test_zip_larger_than_the_limit_when_expanded_is_refused(
    tmp_path: Path, project: Project, source: Source, settings: Any
) -> None:
    settings.ANNOTATOR_IMPORT_MAX_UNCOMPRESSED_BYTES = 100
    archive = zip_bytes({"a.txt": "a" * 60, "b.txt": "b" * 60}, compression=zipfile.ZIP_STORED)
    summary = run(project, write(tmp_path, "big.zip", archive), source=source)

    assert errors(summary) == [
        "big.zip: expands to more than 100 bytes, the limit for one archive "
        "(ANNOTATOR_IMPORT_MAX_UNCOMPRESSED_BYTES); archive refused"
    ]
    assert not Document.objects.exists()


def test_corrupt_zip_is_refused(tmp_path: Path, project: Project, source: Source) -> None:
    summary = run(project, write(tmp_path, "broken.zip", b"PK\x03\x04 not really a zip"), source=source)

    assert errors(summary) == ["broken.zip: not a valid zip archive (File is not a zip file)"]


def test_corrupt_zip_member_is_refused_and_the_others_import(
    tmp_path: Path, project: Project, source: Source
) -> None:
    archive = bytearray(
        zip_bytes({"a.txt": "first text", "b.txt": "second text"}, compression=zipfile.ZIP_STORED)
    )
    at = archive.index(b"second text")
    archive[at] = ord("S")  # the stored CRC no longer matches
    summary = run(project, write(tmp_path, "batch.zip", bytes(archive)), source=source)

    assert errors(summary) == ["batch.zip/b.txt: cannot be read (Bad CRC-32 for file 'b.txt')"]
    assert texts(project) == ["first text"]


def test_member_failing_late_rolls_back_the_sources_it_created(tmp_path: Path, project: Project) -> None:
    lines = [{"text": "first", "source": {"name": "Ghost Gazette"}}]
    lines += [{"text": f"filler {i}", "source": "ghost-gazette"} for i in range(3000)]
    archive = bytearray(
        zip_bytes(
            {"a.jsonl": jsonl(*lines), "b.jsonl": jsonl({"text": "later", "source": "ghost-gazette"})},
            compression=zipfile.ZIP_STORED,
        )
    )
    at = archive.index(b"filler 2999")
    archive[at] = ord("F")  # read to the end before the CRC shows the damage
    calls: list[int] = []
    summary = run(project, write(tmp_path, "batch.zip", bytes(archive)), progress=calls.append)

    assert calls[0] == 1000  # a batch was written before the damage showed

    assert errors(summary) == [
        "batch.zip/a.jsonl: cannot be read (Bad CRC-32 for file 'a.jsonl')",
        "batch.zip/b.jsonl:1: source: unknown source 'ghost-gazette'; give an existing slug or a source object "
        "to create it",
    ]
    assert not Source.objects.filter(slug="ghost-gazette").exists()
    assert not Document.objects.exists()


def test_zip_from_a_stream_that_cannot_seek_is_spooled(project: Project, source: Source) -> None:
    class Unseekable(io.BytesIO):
        def seekable(self) -> bool:
            return False

    stream = Unseekable(zip_bytes({"a.txt": "from a pipe"}))
    summary = documents_import(
        project=project, files=[ImportFile(name="pipe.zip", stream=stream)], default_source=source
    )

    assert (summary.created, summary.refused_files) == (1, [])


def test_json_nested_too_deeply_is_refused(tmp_path: Path, project: Project, source: Source) -> None:
    deep = '{"text": "x", "metadata": {"a": ' + "[" * 100_000 + "]" * 100_000 + "}}"
    summary = run(
        project, write(tmp_path, "deep.jsonl", deep + "\n"), write(tmp_path, "deep.json", deep), source=source
    )

    assert errors(summary) == [
        "deep.jsonl:1: invalid JSON: nested too deeply",
        "deep.json:1: invalid JSON: nested too deeply",
    ]


@pytest.mark.parametrize("use_copy", [True, False], ids=["copy", "bulk_create"])
def test_a_text_stored_by_a_concurrent_import_refuses_the_file_cleanly(
    tmp_path: Path,
    project: Project,
    source: Source,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
    use_copy: bool,
) -> None:
    settings.ANNOTATOR_IMPORT_USE_COPY = use_copy
    Document.objects.create(
        project=project, source=source, text="raced", text_sha256=hashlib.sha256(b"raced").hexdigest()
    )
    # As if another import committed the same text between our lookup and our write.
    monkeypatch.setattr("annotator.imports.services._OrmWriter.stored", lambda self, hashes: set())
    monkeypatch.setattr("annotator.imports.services._PostgresCopyWriter.stored", lambda self, hashes: set())
    summary = run(
        project,
        write(tmp_path, "a.jsonl", jsonl({"text": "new"}, {"text": "raced"})),
        write(tmp_path, "b.jsonl", jsonl({"text": "other"})),
        source=source,
    )

    assert errors(summary) == [
        'a.jsonl: could not be stored (duplicate key value violates unique constraint "document_unique_project_text")'
    ]
    assert texts(project) == ["raced", "other"]


# -- deduplication --------------------------------------------------------------------------------


def test_duplicates_within_a_file_are_skipped_and_counted(
    tmp_path: Path, project: Project, source: Source
) -> None:
    content = jsonl({"text": "same"}, {"text": "other"}, {"text": "same", "title": "again"})
    summary = run(project, write(tmp_path, "a.jsonl", content), source=source, batch_size=1)

    assert (summary.created, summary.skipped_duplicates) == (2, 1)
    assert texts(project) == ["same", "other"]


def test_duplicates_within_one_batch_are_skipped(tmp_path: Path, project: Project, source: Source) -> None:
    summary = run(
        project, write(tmp_path, "a.jsonl", jsonl({"text": "same"}, {"text": "same"})), source=source
    )

    assert (summary.created, summary.skipped_duplicates) == (1, 1)


def test_duplicates_across_files_are_skipped(tmp_path: Path, project: Project, source: Source) -> None:
    summary = run(
        project,
        write(tmp_path, "a.jsonl", jsonl({"text": "shared"})),
        write(tmp_path, "b.txt", "shared"),
        write(tmp_path, "c.csv", "text\nshared\nnew\n"),
        source=source,
    )

    assert (summary.created, summary.skipped_duplicates) == (2, 2)


def test_duplicates_of_stored_documents_are_skipped(tmp_path: Path, project: Project, source: Source) -> None:
    Document.objects.create(
        project=project, source=source, text="stored", text_sha256=hashlib.sha256(b"stored").hexdigest()
    )
    summary = run(
        project, write(tmp_path, "a.jsonl", jsonl({"text": "stored"}, {"text": "fresh"})), source=source
    )

    assert (summary.created, summary.skipped_duplicates) == (1, 1)


def test_line_endings_do_not_make_a_duplicate_look_new(
    tmp_path: Path, project: Project, source: Source
) -> None:
    summary = run(
        project,
        write(tmp_path, "a.txt", "one\r\ntwo"),
        write(tmp_path, "b.txt", "one\ntwo"),
        write(tmp_path, "c.txt", "\ufeffone\rtwo"),
        source=source,
    )

    assert (summary.created, summary.skipped_duplicates) == (1, 2)


def test_the_same_text_may_live_in_another_project(tmp_path: Path, project: Project, source: Source) -> None:
    other = Project.objects.create(name="Other", slug="other")
    run(other, write(tmp_path, "a.jsonl", jsonl({"text": "shared"})), source=source)
    summary = run(project, write(tmp_path, "a.jsonl", jsonl({"text": "shared"})), source=source)

    assert (summary.created, summary.skipped_duplicates) == (1, 0)


def test_a_refused_file_does_not_count_as_seen(tmp_path: Path, project: Project, source: Source) -> None:
    summary = run(
        project,
        write(tmp_path, "a.jsonl", jsonl({"text": "kept"}, {"text": 1})),
        write(tmp_path, "b.jsonl", jsonl({"text": "kept"})),
        source=source,
    )

    assert (summary.created, summary.skipped_duplicates, summary.refused_files) == (1, 0, ["a.jsonl"])


# -- normalisation (DESIGN.md section 4) ----------------------------------------------------------

# Emoji and a mathematical bold A are astral (one code point, two UTF-16 units); e + U+0301 is
# two code points and stays two: no NFC.
RAW = "Caf\u0065\u0301 \U0001f600 \U0001d400\r\nline two\rline three\r\n\t trailing  "
NORMALISED = "Caf\u0065\u0301 \U0001f600 \U0001d400\nline two\nline three\n\t trailing  "


def test_normalise_text_changes_only_the_bom_and_line_endings() -> None:
    assert normalize_text("\ufeff" + RAW) == NORMALISED
    assert len(NORMALISED) == 42


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("a.txt", b"\xef\xbb\xbf" + RAW.encode()),
        ("a.jsonl", b"\xef\xbb\xbf" + json.dumps({"text": RAW}).encode() + b"\n"),
        ("a.json", json.dumps([{"text": RAW}], ensure_ascii=False).encode()),
        ("a.csv", b"\xef\xbb\xbftext\r\n" + ('"' + RAW + '"').encode() + b"\r\n"),
    ],
    ids=["txt", "jsonl", "json", "csv"],
)
def test_stored_text_is_utf8_with_lf_and_nothing_else_changed(
    tmp_path: Path, project: Project, source: Source, name: str, content: bytes
) -> None:
    summary = run(project, write(tmp_path, name, content), source=source)

    assert (summary.created, summary.refused_files) == (1, [])
    document = Document.objects.get()
    assert document.text == NORMALISED
    assert len(document.text) == 42
    assert document.text[3:5] == "e\u0301"
    assert document.text[6] == "\U0001f600"
    assert document.text[8] == "\U0001d400"
    assert document.text[9] == "\n"
    assert document.text_sha256 == hashlib.sha256(NORMALISED.encode("utf-8")).hexdigest()


def test_a_text_value_starting_with_a_bom_loses_it(project: Project, source: Source) -> None:
    documents_import_records(project=project, records=[{"text": "\ufeffHello\r\n"}], default_source=source)

    assert texts(project) == ["Hello\n"]


# -- sources --------------------------------------------------------------------------------------


def test_source_object_creates_the_source_once(tmp_path: Path, project: Project) -> None:
    herald = {"name": "The Herald", "domain": "herald.example", "country": "gb", "language": "en-GB"}
    content = jsonl(
        {"text": "one", "source": herald},
        {"text": "two", "source": herald},
        {"text": "three", "source": "the-herald"},
    )
    summary = run(project, write(tmp_path, "a.jsonl", content))

    assert (summary.created, summary.refused_files) == (3, [])
    created = Source.objects.get(slug="the-herald")
    assert (created.name, created.domain, created.country, created.language) == (
        "The Herald",
        "herald.example",
        "GB",
        "en-GB",
    )
    assert set(Document.objects.values_list("source", flat=True)) == {created.pk}


def test_source_object_with_an_existing_slug_uses_that_source(
    tmp_path: Path, project: Project, source: Source
) -> None:
    content = jsonl({"text": "one", "source": {"name": "Renamed", "slug": "daily-planet"}})
    run(project, write(tmp_path, "a.jsonl", content))

    assert Document.objects.get().source == source
    assert Source.objects.get(slug="daily-planet").name == "Daily Planet"


def test_source_created_by_a_refused_file_is_rolled_back(tmp_path: Path, project: Project) -> None:
    content = jsonl({"text": "one", "source": {"name": "Ghost Gazette"}}, {"text": 2})
    summary = run(
        project,
        write(tmp_path, "a.jsonl", content),
        write(tmp_path, "b.jsonl", jsonl({"text": "two", "source": "ghost-gazette"})),
    )

    assert errors(summary) == [
        "a.jsonl:2: text: must be a string, not a number",
        "b.jsonl:1: source: unknown source 'ghost-gazette'; give an existing slug or a source object to create it",
    ]
    assert not Source.objects.filter(slug="ghost-gazette").exists()


def test_a_refused_file_may_name_a_source_it_would_have_created(tmp_path: Path, project: Project) -> None:
    content = jsonl(
        {"text": "one", "source": {"name": "Ghost Gazette"}},
        {"text": 2},
        {"text": "three", "source": "ghost-gazette"},
    )
    summary = run(project, write(tmp_path, "a.jsonl", content))

    # Only the real problem is reported, not a follow-on "unknown source".
    assert errors(summary) == ["a.jsonl:2: text: must be a string, not a number"]
    assert not Source.objects.filter(slug="ghost-gazette").exists()


def test_record_source_wins_over_the_default(tmp_path: Path, project: Project, source: Source) -> None:
    other = Source.objects.create(name="Other", slug="other")
    run(
        project,
        write(tmp_path, "a.jsonl", jsonl({"text": "x", "source": "other"}, {"text": "y"})),
        source=source,
    )

    assert list(Document.objects.order_by("id").values_list("source", flat=True)) == [other.pk, source.pk]


# -- published_at ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-05-01T09:30:00Z", datetime(2024, 5, 1, 9, 30, tzinfo=UTC)),
        ("2024-05-01T09:30:00+02:00", datetime(2024, 5, 1, 7, 30, tzinfo=UTC)),
        ("2024-05-01T09:30:00.250-05:00", datetime(2024, 5, 1, 14, 30, 0, 250000, tzinfo=UTC)),
        ("2024-05-01T09:30:00", datetime(2024, 5, 1, 9, 30, tzinfo=UTC)),
        ("2024-05-01 09:30", datetime(2024, 5, 1, 9, 30, tzinfo=UTC)),
        ("2024-05-01", datetime(2024, 5, 1, tzinfo=UTC)),
        ("20240501T093000Z", datetime(2024, 5, 1, 9, 30, tzinfo=UTC)),
    ],
)
def test_published_at_is_iso_8601_and_naive_means_utc(
    tmp_path: Path, project: Project, source: Source, value: str, expected: datetime
) -> None:
    run(project, write(tmp_path, "a.jsonl", jsonl({"text": "x", "published_at": value})), source=source)

    assert Document.objects.get().published_at == expected


def test_published_at_keeps_its_instant_whatever_the_offset(
    tmp_path: Path, project: Project, source: Source
) -> None:
    run(
        project,
        write(tmp_path, "a.jsonl", jsonl({"text": "x", "published_at": "2024-05-01T23:30:00-03:00"})),
        source=source,
    )

    stored = Document.objects.get().published_at
    assert stored == datetime(2024, 5, 1, 23, 30, tzinfo=timezone(timedelta(hours=-3)))


# -- batches and progress -------------------------------------------------------------------------


def _many(tmp_path: Path, count: int) -> ImportFile:
    return write(tmp_path, "many.jsonl", jsonl(*({"text": f"article number {i}"} for i in range(count))))


def test_documents_are_written_in_batches(tmp_path: Path, project: Project, source: Source) -> None:
    file = _many(tmp_path, 2500)
    with CaptureQueriesContext(connection) as queries:
        summary = run(project, file, source=source, batch_size=1000)

    assert summary.created == 2500
    writes = [q["sql"] for q in queries.captured_queries if q["sql"].startswith(("INSERT", "COPY"))]
    lookups = [
        q["sql"]
        for q in queries.captured_queries
        if "text_sha256" in q["sql"] and q["sql"].startswith("SELECT")
    ]
    assert len(writes) == 3
    assert len(lookups) == 3
    assert len(queries.captured_queries) <= 12  # plus lz4 check, SET LOCAL, savepoint, release
    assert Document.objects.filter(project=project).count() == 2500


def test_documents_are_written_in_batches_with_bulk_create_where_copy_is_off(
    tmp_path: Path, project: Project, source: Source, settings: Any
) -> None:
    settings.ANNOTATOR_IMPORT_USE_COPY = False
    file = _many(tmp_path, 2500)
    with CaptureQueriesContext(connection) as queries:
        summary = run(project, file, source=source, batch_size=1000)

    assert summary.created == 2500
    inserts = [q for q in queries.captured_queries if q["sql"].startswith('INSERT INTO "annotator_document"')]
    assert len(inserts) == 3
    assert len(queries.captured_queries) <= 10
    document = Document.objects.filter(project=project).order_by("id").last()
    assert document is not None
    assert document.text == "article number 2499"


def test_copy_and_bulk_create_store_the_same_values(
    tmp_path: Path, project: Project, source: Source, settings: Any
) -> None:
    record = {
        "text": "Tabs\tand \\ backslashes\nand \U0001f600",
        "title": "T",
        "url": "https://x.example/a?b=c",
        "author": "A",
        "published_at": "2024-05-01T09:30:00Z",
        "external_id": "e",
        "metadata": {"k": ["v", 1, None, True], "\u00e9": "\u00e9"},
    }
    fields = (
        "text",
        "title",
        "url",
        "author",
        "published_at",
        "external_id",
        "metadata",
        "text_sha256",
        "source",
    )
    run(project, write(tmp_path, "a.jsonl", jsonl(record)), source=source)
    settings.ANNOTATOR_IMPORT_USE_COPY = False
    other = Project.objects.create(name="Other", slug="other")
    run(other, write(tmp_path, "a.jsonl", jsonl(record)), source=source)

    copied, created = (
        Document.objects.filter(project=p).values(*fields, "created_at").get() for p in (project, other)
    )
    assert copied.pop("created_at") is not None
    assert created.pop("created_at") is not None
    assert copied == created


def test_progress_reports_documents_processed_so_far(
    tmp_path: Path, project: Project, source: Source
) -> None:
    calls: list[int] = []
    run(project, _many(tmp_path, 25), source=source, batch_size=10, progress=calls.append)

    assert calls[:3] == [10, 20, 25]
    assert calls[-1] == 25


# -- the command ----------------------------------------------------------------------------------


def test_command_imports_a_directory_recursively_in_sorted_order(
    tmp_path: Path, project: Project, source: Source
) -> None:
    write(tmp_path, "data/b.txt", "Second")
    write(tmp_path, "data/a/x.jsonl", jsonl({"text": "First"}))
    write(tmp_path, "data/.hidden/ignored.txt", "ignored")
    write(tmp_path, "data/c.csv", "text\nThird\n")
    out = io.StringIO()
    call_command(
        "import_documents", str(tmp_path / "data"), "--project", "elections", "--source", "daily-planet",
        "--no-progress", stdout=out,
    )  # fmt: skip

    assert out.getvalue() == "Created 3 documents, skipped 0 duplicates in project 'elections'.\n"
    assert texts(project) == ["First", "Second", "Third"]


def test_command_prints_each_error_and_exits_non_zero_when_a_file_is_refused(
    tmp_path: Path, project: Project, source: Source
) -> None:
    good = write(tmp_path, "good.jsonl", jsonl({"text": "fine"}, {"text": "fine"}))
    bad = write(tmp_path, "bad.jsonl", '{"text": 1}\n{"titel": "x", "text": "y"}\n')
    out = io.StringIO()
    with pytest.raises(CommandError, match=r"^1 file refused$"):
        call_command(
            "import_documents", str(good.path), str(bad.path), "--project", "elections", "--source", "daily-planet",
            "--batch-size", "1", "--no-progress", stdout=out,
        )  # fmt: skip

    assert out.getvalue().splitlines() == [
        "Created 1 document, skipped 1 duplicate in project 'elections'.",
        "Refused 1 file (nothing imported from them):",
        f"  {bad.path}",
        "Errors:",
        f"  {bad.path}:1: text: must be a string, not a number",
        f"  {bad.path}:2: titel: unknown field; did you mean `title`?",
    ]
    assert texts(project) == ["fine"]


def test_command_names_an_unknown_project(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match=r"^No project has the slug 'nope'.$"):
        call_command("import_documents", str(tmp_path), "--project", "nope", "--no-progress")


def test_command_names_an_unknown_source(tmp_path: Path, project: Project) -> None:
    with pytest.raises(CommandError, match=r"^unknown source 'nope'$"):
        call_command(
            "import_documents", str(tmp_path), "--project", "elections", "--source", "nope", "--no-progress"
        )


def test_command_names_a_missing_path(tmp_path: Path, project: Project) -> None:
    with pytest.raises(CommandError, match=r"^no such file or directory: .*missing\.jsonl$"):
        call_command(
            "import_documents", str(tmp_path / "missing.jsonl"), "--project", "elections", "--no-progress"
        )


def test_issue_reads_file_line_field_message() -> None:
    assert str(ImportIssue(file="a.csv", line=3, field="title", message="is bad")) == "a.csv:3: title: is bad"
    assert str(ImportIssue(file="a.zip", line=None, field=None, message="is bad")) == "a.zip: is bad"
    assert (
        str(ImportIssue(file="a.json", line=2, field="url", message="bad", item=4))
        == "a.json:2: item [4]: url: bad"
    )
