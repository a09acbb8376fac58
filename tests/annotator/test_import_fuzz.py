"""Bad input to the importer: each malformed file is refused whole with a clear error that names
it (and the line or field where one applies), nothing of it is stored, and a good file in the
same call still imports. Formula-like cells import verbatim and are neutralised on CSV export."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import stat
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from annotator.exports import formats as export_formats
from annotator.exports.services import export_filters_resolve, export_stream
from annotator.imports.services import ImportFile, ImportSummary, documents_import
from annotator.layers.services import layer_assign
from annotator.models import Document, Layer, LayerStatus, Project, Source
from annotator.spans.services import span_create
from tests.factories import ProjectFactory, SourceFactory, UserFactory, zip_bytes

pytestmark = pytest.mark.django_db

GOOD_TEXT = "The council said the tram costs rose."
MIB = 1024 * 1024


def zip_with(info: zipfile.ZipInfo, content: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(info, content)
    return buffer.getvalue()


def symlink_zip() -> bytes:
    info = zipfile.ZipInfo("link.jsonl")
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return zip_with(info, b"/etc/passwd")


def encrypted_zip() -> bytes:
    """zipfile cannot write encrypted members: set the "encrypted" flag bit in the local and
    central headers by hand, which is what the importer checks."""
    data = bytearray(zip_bytes({"secret.jsonl": GOOD_LINE}))
    for signature, flag_offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        data[data.index(signature) + flag_offset] |= 0x1
    return bytes(data)


class _Generated(io.RawIOBase):
    """`size` bytes made on the fly from `pattern`, so a 50 MB file never sits in memory."""

    def __init__(self, head: bytes, pattern: bytes, size: int, tail: bytes) -> None:
        self.parts: Iterator[bytes] = self._parts(head, pattern, size, tail)
        self.pending = b""

    @staticmethod
    def _parts(head: bytes, pattern: bytes, size: int, tail: bytes) -> Iterator[bytes]:
        yield head
        block = pattern * (MIB // len(pattern))
        left = size
        while left > 0:
            yield block[:left]
            left -= len(block)
        yield tail

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self.pending:
            part = next(self.parts, None)
            if part is None:
                return 0
            self.pending = part
        n = min(len(buffer), len(self.pending))
        buffer[:n] = self.pending[:n]
        self.pending = self.pending[n:]
        return n


def fifty_mb_line(head: bytes, tail: bytes) -> Callable[[str], ImportFile]:
    def make(name: str) -> ImportFile:
        raw = _Generated(head, b"news ", 50 * MIB, tail)
        return ImportFile(name=name, stream=io.BufferedReader(raw, buffer_size=MIB))  # type: ignore[arg-type]

    return make


@dataclass
class Case:
    """One malformed file: its name and content (bytes, or a maker for a streamed file), a
    fragment of the expected message, and where the first error points."""

    name: str
    content: bytes | Callable[[str], ImportFile]
    message: str
    line: int | None = None
    field: str | None = None
    refused: str | None = None  # the file named in the refusal, when not `name` (a zip member)
    settings: dict[str, Any] = dataclasses.field(default_factory=dict)

    def file(self) -> ImportFile:
        if callable(self.content):
            return self.content(self.name)
        return ImportFile(name=self.name, stream=io.BytesIO(self.content))


def _csv(rows: list[list[str]], delimiter: str = ",") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\n").writerows(rows)
    return buffer.getvalue().encode()


def _line_with(key: str, value: str) -> bytes:
    """A JSON line of a document with text "x" and `key` set to `value`."""
    return (json.dumps({"text": "x", key: value}) + "\n").encode()


GOOD_LINE = b'{"text": "A fine first article."}\n'
DEEP = 100_000

CASES = [
    # Archives
    Case("truncated.zip", zip_bytes({"a.jsonl": GOOD_LINE * 50})[:70], "not a valid zip archive"),
    Case("bomb.zip", zip_bytes({"a.jsonl": b"\n" * (20 * MIB)}), "compression ratio"),
    Case(
        # Many small members, each under the ratio check, adding up past the archive budget.
        "wide-bomb.zip",
        zip_bytes({f"part{i:02}.jsonl": b" " * (900 * 1024) for i in range(12)}),
        "expands to more than 5242880 bytes",
        settings={"ANNOTATOR_IMPORT_MAX_UNCOMPRESSED_BYTES": 5 * MIB},
    ),
    Case(
        "nested.zip",
        zip_bytes({"inner.zip": zip_bytes({"deeper.zip": zip_bytes({"a.jsonl": GOOD_LINE})})}),
        "only one level of nesting",
        refused="nested.zip/inner.zip/deeper.zip",
    ),
    Case("traversal.zip", zip_bytes({"../../etc/evil.jsonl": GOOD_LINE}), "climbs out of the archive"),
    Case("absolute.zip", zip_bytes({"/tmp/evil.jsonl": GOOD_LINE}), "has an absolute path"),
    Case("symlink.zip", symlink_zip(), "is a symbolic link"),
    Case("encrypted.zip", encrypted_zip(), "is encrypted"),
    Case(
        "member.zip",
        zip_bytes({"bad.jsonl": GOOD_LINE + b'{"text": 5}\n'}),
        "must be a string, not a number",
        line=2,
        field="text",
        refused="member.zip/bad.jsonl",
    ),
    # JSON structure
    Case("deep.json", b"[" * DEEP + b"]" * DEEP, "nested too deeply", line=1),
    Case("deep.jsonl", b"[" * DEEP + b"]" * DEEP + b"\n", "nested too deeply", line=1),
    Case(
        "deep-metadata.json",
        b'{"text": "x", "metadata": ' + b'{"a": ' * DEEP + b"1" + b"}" * DEEP + b"}",
        "nested too deeply",
        line=1,
    ),
    Case("number.json", b"42", "expected an array '[' of objects or one object '{', found '4'", line=1),
    Case("null.json", b"null", "expected an array", line=1),
    Case("numbers.json", b"[1, 2]", "must be a JSON object, not a number", line=1),
    Case("truncated.json", b'[{"text": "a"},\n {"text": "b"', "invalid JSON", line=2),
    Case("trailing.json", b'[{"text": "a"}] junk', "unexpected data after the end", line=1),
    Case("comma.jsonl", GOOD_LINE + b'{"text": "a",}\n', "invalid JSON at column 14", line=2),
    Case(
        "huge-number.jsonl",
        b'{"text": "x", "metadata": {"n": ' + b"9" * 5000 + b"}}\n",
        "4300 digits",
        line=1,
    ),
    Case("huge-number.json", b'[{"text": "x", "external_id": ' + b"9" * 5000 + b"}]", "4300 digits", line=1),
    Case(
        "huge-number.csv",
        b'text,metadata\nx,"{""n"": ' + b"9" * 5000 + b'}"\n',
        "4300 digits",
        line=2,
        field="metadata",
    ),
    Case("binary.json", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "NUL byte", line=3),
    # Encodings and bytes
    Case("latin1.jsonl", GOOD_LINE + b'{"text": "caf\xe9 au lait"}\n', "not valid UTF-8: byte 0xE9", line=2),
    Case("nul.jsonl", GOOD_LINE + b'{"text": "a\x00b"}\n', "NUL byte at byte offset", line=2),
    Case("nul-escape.jsonl", b'{"text": "a\\u0000b"}\n', "NUL character", line=1, field="text"),
    Case("surrogate.jsonl", b'{"text": "a\\ud800b"}\n', "unpaired surrogate", line=1, field="text"),
    Case("utf16.jsonl", '{"text": "hi"}\n'.encode("utf-16"), "UTF-16", line=1),
    Case("utf16.txt", "A headline\n\nSome text.".encode("utf-16"), "UTF-16", line=1),
    # Sizes
    Case(
        "one-line.jsonl",
        fifty_mb_line(b'{"text": "', b'"}\n'),
        "a document may have at most 1000000 characters",
        line=1,
    ),
    Case("one-line.txt", fifty_mb_line(b"", b"\n"), "longer than the limit of 1000000", field="text"),
    Case(
        "long.jsonl",
        json.dumps({"text": "x" * 101}).encode(),
        "is 101 characters long, over the limit of 100",
        line=1,
        field="text",
        settings={"ANNOTATOR_MAX_DOCUMENT_CHARS": 100},
    ),
    Case("empty.jsonl", b"", "is empty (0 bytes)"),
    Case("blank.jsonl", b"  \n\n\t \n", "has no documents"),
    Case("blank.txt", b" \r\n\r\n\t", "is empty or only whitespace", field="text"),
    Case("empty.json", b"[]", "has no documents"),
    # CSV
    Case(
        "pipes.csv",
        b"title|body\nA|Some text\n",
        "no `text` column in the header row (columns: title|body; delimiter detected: ',' (comma))",
        line=1,
    ),
    Case("quotes.csv", b'text,title\n"an unbalanced quote,x\nnext,row\n', "invalid CSV", line=2),
    Case("cells.csv", b"text,title\nOne,A\nTwo,B,extra\n", "has 3 cells but the header row has 2", line=3),
    Case("header-only.csv", b"text,title\n", "has no documents"),
    # Fields
    Case("wrong-type.jsonl", GOOD_LINE + b'{"text": ["a list"]}\n', "must be a string", line=2, field="text"),
    Case("title-type.json", b'[{"text": "x", "title": 7}]', "must be a string, not a number", field="title"),
    Case("unknown-field.jsonl", _line_with("titel", "y"), "did you mean `title`?", field="titel"),
    Case("unknown-source.jsonl", _line_with("source", "nowhere"), "unknown source 'nowhere'", field="source"),
    Case("bad-url.jsonl", _line_with("url", "javascript:alert(1)"), "not a valid URL", field="url"),
    Case("bad-date.jsonl", _line_with("published_at", "yesterday"), "not an ISO 8601", field="published_at"),
    Case("missing-text.json", b"{}", "is missing", line=1, field="text"),
    # Names
    Case("report.docx", b"PK\x03\x04 not really", "unsupported file type '.docx'"),
    Case("README", b"text", "no file extension"),
]


def _run(project: Project, case: Case, source: Source) -> ImportSummary:
    good = ImportFile(name="good.jsonl", stream=io.BytesIO(json.dumps({"text": GOOD_TEXT}).encode()))
    return documents_import(project=project, files=[case.file(), good], default_source=source)


def test_there_are_at_least_thirty_malformed_files():
    assert len(CASES) >= 30
    assert len({case.name for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_malformed_file_is_refused_whole_with_an_error_naming_it(case: Case, settings: Any) -> None:
    for key, value in case.settings.items():
        setattr(settings, key, value)
    project = ProjectFactory()
    source = SourceFactory(slug="herald")
    sources_before = Source.objects.count()

    summary = _run(project, case, source)

    refused = case.refused or case.name
    assert summary.refused_files == [refused], summary.to_dict()
    assert summary.errors, "a refused file must say why"
    first = summary.errors[0]
    assert first.file == refused
    assert str(first).startswith(refused), str(first)
    assert case.message in first.message, str(first)
    if case.line is not None:
        assert first.line == case.line, str(first)
    if case.field is not None:
        assert first.field == case.field, str(first)
    assert all(issue.file.startswith(case.name) for issue in summary.errors)
    # Nothing of the bad file is stored; the good file beside it is.
    assert summary.created == 1
    assert list(Document.objects.filter(project=project).values_list("text", flat=True)) == [GOOD_TEXT]
    assert Source.objects.count() == sources_before


def test_a_refused_file_leaves_no_source_it_would_have_created() -> None:
    project = ProjectFactory()
    content = b'{"text": "ok", "source": {"name": "New Outlet"}}\n{"text": 3}\n'
    summary = documents_import(
        project=project, files=[ImportFile(name="a.jsonl", stream=io.BytesIO(content))]
    )

    assert summary.refused_files == ["a.jsonl"]
    assert not Source.objects.filter(slug="new-outlet").exists()
    assert not Document.objects.exists()


FORMULAS = ["=cmd|' /C calc'!A0", "+1", "-1", "@SUM(A1:A2)", '=HYPERLINK("http://evil.example")']


def test_formula_like_csv_cells_import_as_plain_text_and_are_neutralised_on_csv_export() -> None:
    project = ProjectFactory(blind=False)
    source = SourceFactory(slug="herald")
    rows = [["text", "title", "external_id"]] + [[text, text, f"-{i}"] for i, text in enumerate(FORMULAS)]
    upload = ImportFile(name="formulas.csv", stream=io.BytesIO(_csv(rows)))

    summary = documents_import(project=project, files=[upload], default_source=source)

    assert (summary.created, summary.refused_files) == (len(FORMULAS), [])
    stored = list(Document.objects.filter(project=project).order_by("id").values_list("text", "title"))
    assert stored == [(text, text) for text in FORMULAS]

    # A span over each whole text, in a submitted layer, then the CSV export.
    annotator = UserFactory(username="anna")
    for document in Document.objects.filter(project=project):
        layer = layer_assign(document=document, user=annotator)
        span_create(layer=layer, label="OPINION", start=0, end=len(document.text), text=document.text)
        Layer.objects.filter(pk=layer.pk).update(status=LayerStatus.SUBMITTED)
    export = export_stream(
        project=project, format="csv", filters=export_filters_resolve(project=project, basis="all")
    )
    table = list(csv.DictReader(io.StringIO(b"".join(export.chunks).decode("utf-8"))))

    assert sorted(row["text"] for row in table) == sorted("'" + text for text in FORMULAS)
    assert all(row["external_id"].startswith("'-") for row in table)
    assert all(export_formats.neutralise(text) == "'" + text for text in FORMULAS)
