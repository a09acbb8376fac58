"""The export formats: one Formatter class each, registered by name.

- `jsonl`: one JSON object per document and line: document_id, external_id, title, url,
  source (slug), published_at (ISO 8601 or null), text, annotators (the layers behind the
  spans, see ExportLayer), spans: [{label, start, end, text, attributes, annotator | basis}] and
  answers to the article questions: [{question, value, annotator | basis}].
  Written as UTF-8 rather than \\u escapes, except U+0085, U+2028 and U+2029, which some line
  readers (Python's str.splitlines) take for line ends.
- `csv`: a header row, then one span per row (and a row with empty span fields for a layer
  that answered the article questions but has no span): document_id, external_id, source,
  annotator (basis all) or basis (consensus, model, gold), label, start, end, text, then one
  column per attribute of the project schema, named by its key (`attribute_<key>` if the key
  clashes with a fixed column), then `answer_<key>` per article question: the layer's answer.
  Strings are written as they are, other values (lists, booleans) as JSON; absent values are
  empty cells. A text cell that starts with = + - @, a tab or a carriage return gets a leading
  single quote, so a spreadsheet never runs it as a formula (OWASP's CSV injection advice).
  A document without spans or answers has no row.
- `conll`: BIO tags per token, one block per layer of each document. A block starts with
  comment lines (`# document_id = 17`, `# external_id = ...`, `# source = herald`, then
  `# annotator = anna` for basis all, or `# basis = consensus` and `# annotators = anna, ben`,
  then `# answer.<question> = <JSON value>` for each article question answered).
  Each token is a line `token<TAB>start<TAB>end<TAB>tag`, offsets in code points; a blank line
  ends each sentence, and so each block. Tokens are the agreement tokenizer's
  (`annotator.agreement.maths.positions.tokenize`), so whitespace is never a token. A token takes a
  span's label if any of its characters is in the span; where spans overlap, the span that starts
  first wins (equal starts: the longer one, then the label key's order), and the token is B- when
  it is the first token of its winning span in the sentence, I- after a token of the same span.
  Sentences end after . ! ? or … followed by whitespace (closing quotes and brackets may come
  in between) and wherever a line break lies between two tokens. Sentence breaks depend on the
  text only, so every layer of a document has the same lines; a span that runs over a sentence
  end begins again (B-) in the next sentence.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import orjson

from annotator.agreement.maths.positions import tokenize, unit_ranges
from annotator.exports.base import (
    ExportContext,
    ExportDocument,
    ExportLayer,
    ExportSpan,
    Formatter,
    register,
)

# Characters that JSON allows raw inside strings but some line readers split on.
_LINE_SEPARATORS = {"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def escape_line_separators(line: str) -> str:
    # str.replace, not str.translate: translate looks every character up in a dict, ten times
    # slower than the rest of the export.
    for character, escape in _LINE_SEPARATORS.items():
        if character in line:
            line = line.replace(character, escape)
    return line


def json_line(record: dict[str, Any]) -> str:
    """One JSONL line: the record as JSON, line separators escaped, and a line end."""
    return escape_line_separators(orjson.dumps(record).decode()) + "\n"


@register
class JsonlFormatter(Formatter):
    name = "jsonl"
    content_type = "application/jsonl"
    extension = "jsonl"

    def document(self, document: ExportDocument) -> Iterator[str]:
        owner = self.context.owner_field
        record = {
            "document_id": document.document_id,
            "external_id": document.external_id,
            "title": document.title,
            "url": document.url,
            "source": document.source,
            "published_at": document.published_at.isoformat() if document.published_at else None,
            "text": document.text,
            "annotators": [name for layer in document.layers for name in layer.annotators],
            # Unpacked rather than read by name, and attributes passed as they are when they
            # are a dict (orjson writes only dicts): about a quarter less time a span.
            "spans": [
                {
                    "label": label,
                    "start": start,
                    "end": end,
                    "text": text,
                    "attributes": attributes if type(attributes) is dict else dict(attributes),
                    "model_version": model_version,
                    owner: layer.name,
                }
                for layer in document.layers
                for label, start, end, text, attributes, model_version in layer.spans
            ],
            "answers": [
                {"question": key, "value": value, owner: layer.name}
                for layer in document.layers
                for key, value in layer.answers.items()
            ],
        }
        yield json_line(record)


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: str) -> str:
    """`cell` with a leading single quote if a spreadsheet would read it as a formula."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def csv_cell(value: Any) -> str:
    """A CSV cell: strings as they are, absent values empty, anything else as JSON; neutralised."""
    if value is None:
        return ""
    if isinstance(value, str):
        return neutralise(value)
    return neutralise(json.dumps(value, ensure_ascii=False))


@register
class CsvFormatter(Formatter):
    name = "csv"
    content_type = "text/csv"
    extension = "csv"

    def __init__(self, context: ExportContext) -> None:
        super().__init__(context)
        self.fixed = (
            "document_id",
            "external_id",
            "source",
            context.owner_field,
            "label",
            "start",
            "end",
            "text",
            "model_version",
        )
        self.attribute_columns = tuple(
            f"attribute_{key}" if key in self.fixed else key for key in context.attribute_keys
        )
        # A layer's answers to the article questions, repeated on each of its rows.
        self.answer_columns = tuple(f"answer_{key}" for key in context.question_keys)
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer, lineterminator="\r\n")

    def _flush(self) -> str:
        text = self._buffer.getvalue()
        self._buffer.seek(0)
        self._buffer.truncate()
        return text

    def begin(self) -> Iterator[str]:
        self._writer.writerow((*self.fixed, *self.attribute_columns, *self.answer_columns))
        yield self._flush()

    def document(self, document: ExportDocument) -> Iterator[str]:
        keys = self.context.attribute_keys
        external_id, source = csv_cell(document.external_id), csv_cell(document.source)
        for layer in document.layers:
            owner = csv_cell(layer.name)
            answers = tuple(csv_cell(layer.answers.get(key)) for key in self.context.question_keys)
            for span in layer.spans:
                self._writer.writerow(
                    (
                        document.document_id,
                        external_id,
                        source,
                        owner,
                        csv_cell(span.label),
                        span.start,
                        span.end,
                        csv_cell(span.text),
                        "" if span.model_version is None else span.model_version,
                        *(csv_cell(span.attributes.get(key)) for key in keys),
                        *answers,
                    )
                )
            if not layer.spans and layer.answers:  # answers with no span: a row of their own
                blank = ("",) * (6 + len(keys))
                self._writer.writerow((document.document_id, external_id, source, owner, *blank, *answers))
        text = self._flush()
        if text:
            yield text


SENTENCE_ENDS = frozenset(".!?…")
CLOSERS = frozenset("\"')]}\u00bb\u2019\u201d")


def sentence_starts(text: str, bounds: np.ndarray) -> list[bool]:
    """Per token, whether a new sentence starts at it (the first token always does)."""
    starts = [True] * len(bounds)
    spans = bounds.tolist()
    for k in range(1, len(spans)):
        gap = text[spans[k - 1][1] : spans[k][0]]
        if "\n" in gap:
            continue
        starts[k] = bool(gap) and _ends_sentence(text, spans, k - 1)
    return starts


def _ends_sentence(text: str, spans: list[list[int]], k: int) -> bool:
    while k >= 0:
        token = text[spans[k][0] : spans[k][1]]
        if token in SENTENCE_ENDS:
            return True
        if token not in CLOSERS or k == 0 or spans[k - 1][1] != spans[k][0]:
            return False
        k -= 1
    return False


def winning_spans(bounds: np.ndarray, spans: Sequence[ExportSpan]) -> np.ndarray:
    """Per token, the index of the span whose label it takes, or -1: the first-starting span that
    touches it (equal starts: the longer, then the smaller label key)."""
    winners = np.full(len(bounds), -1, dtype=np.int64)
    if not spans or not len(bounds):
        return winners
    first, stop, _ = unit_ranges(bounds, [(s.start, s.end, 0) for s in spans])
    order = sorted(range(len(spans)), key=lambda k: (spans[k].start, -spans[k].end, spans[k].label, k))
    for k in reversed(order):  # paint the losers first, so the winner's paint stays
        winners[first[k] : stop[k]] = k
    return winners


def _comment(value: object) -> str:
    return " ".join(str(value).split())


@register
class ConllFormatter(Formatter):
    name = "conll"
    content_type = "text/plain"
    extension = "conll"

    def document(self, document: ExportDocument) -> Iterator[str]:
        text = document.text
        bounds = tokenize(text)
        starts = sentence_starts(text, bounds)
        pairs = bounds.tolist()
        for layer in document.layers:
            yield self._header(document, layer)
            winners = winning_spans(bounds, layer.spans).tolist()
            lines = []
            for k, (start, end) in enumerate(pairs):
                if starts[k] and k:
                    lines.append("\n")
                winner = winners[k]
                if winner < 0:
                    tag = "O"
                else:
                    begins = starts[k] or winners[k - 1] != winner
                    tag = ("B-" if begins else "I-") + layer.spans[winner].label
                lines.append(f"{text[start:end]}\t{start}\t{end}\t{tag}\n")
            lines.append("\n")
            yield "".join(lines)

    def _header(self, document: ExportDocument, layer: ExportLayer) -> str:
        lines = [
            f"# document_id = {document.document_id}",
            f"# external_id = {_comment(document.external_id)}",
            f"# source = {_comment(document.source)}",
        ]
        if self.context.basis == "all":
            lines.append(f"# annotator = {_comment(layer.name)}")
        else:
            lines.append(f"# basis = {_comment(layer.name)}")
            lines.append(f"# annotators = {_comment(', '.join(layer.annotators))}")
        for key, value in layer.answers.items():  # article questions, the answer as JSON
            lines.append(f"# answer.{_comment(key)} = {_comment(json.dumps(value, ensure_ascii=False))}")
        return "\n".join(lines) + "\n"
