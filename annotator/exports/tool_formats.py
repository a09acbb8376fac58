"""Export formats that other annotation tools read, so a team can move its work there and back
(annotator.imports.annotations reads the same formats). doccano and Label Studio count offsets
in UTF-16 code units, as the browser does, so offsets are converted from the stored code
points; spaCy counts code points, as stored.

- `doccano`: JSONL, one line per layer of each document, as doccano imports a sequence-labelling
  project: `text`, `label` ([[start, end, "LABEL"], ...]) and, kept by doccano as metadata,
  `annotator` (the username, or the basis), `document_id`, `external_id`, `title`, `source` and
  `url`. A document without layers gets one line with no labels. doccano has no attributes, so
  none are written.
- `spacy`: JSONL as spaCy projects and Prodigy write it, offsets in code points: one line per
  layer with `text`, `spans` ([{start, end, label, text, "_": attributes}]), `_annotator_id`
  and `meta` (document_id, external_id, title, source, url). Attributes go whole, stance
  included, as the spans' extension values.
- `label-studio`: a JSON array of tasks, as Label Studio imports them:
  `data` (text, title, source, url, external_id) and one annotation per layer. Each span is a
  region: a `labels` result (from_name "label", to_name "text") and a `choices` result per
  attribute under the attribute's key, with the same region id. Stance toward targets is not
  written: Label Studio has no control that holds it. `completed_by` names the annotator by
  email and username; Label Studio takes an annotation whose email is one of its users' as that
  user's (and refuses the import otherwise), so it is left out on the consensus, model and gold
  bases, and the importing user takes those layers.
- `webanno-tsv` and `spacy-docbin`: zip archives of a file per document and layer (see
  ArchiveFormatter). `webanno-tsv` is WebAnno TSV 3.3, which INCEpTION imports (see
  annotator.webanno_tsv): the spans are in the layer `webanno.custom.Span`, with the features
  `label` and one per attribute of the schema, named by its key; a value that is not a string is
  written as JSON (true and false as they are). In INCEpTION, create a span layer named Span
  with those string features before importing. `spacy-docbin` is spaCy's DocBin (see
  annotator.spacy_docs), which `spacy train` reads from a folder of `.spacy` files.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

import orjson

from annotator.exports.base import ArchiveFormatter, ExportDocument, ExportLayer, Formatter, register
from annotator.exports.formats import escape_line_separators, json_line
from annotator.offsets import Utf16Offsets
from annotator.webanno_tsv import DocumentTsv, TsvSpan

if TYPE_CHECKING:
    from annotator.spacy_docs import SpanValues


def _document_fields(document: ExportDocument) -> dict[str, Any]:
    return {
        "document_id": document.document_id,
        "external_id": document.external_id,
        "title": document.title,
        "source": document.source,
        "url": document.url,
    }


def _layers_or_none(document: ExportDocument) -> list[ExportLayer | None]:
    """A line or file per layer; a document without layers still gets one, with no spans."""
    return list(document.layers) or [None]


@register
class DoccanoFormatter(Formatter):
    name = "doccano"
    content_type = "application/jsonl"
    extension = "jsonl"

    def document(self, document: ExportDocument) -> Iterator[str]:
        offsets = Utf16Offsets(document.text)
        common = {"text": document.text, **_document_fields(document)}
        for layer in _layers_or_none(document):
            record: dict[str, Any] = {**common, "label": []}
            if layer is not None:
                record["annotator"] = layer.name
                record["label"] = [
                    [offsets.utf16(span.start), offsets.utf16(span.end), span.label] for span in layer.spans
                ]
                if layer.answers:  # the article questions' answers, beside doccano's own fields
                    record["answers"] = dict(layer.answers)
            yield json_line(record)


@register
class SpacyFormatter(Formatter):
    name = "spacy"
    content_type = "application/jsonl"
    extension = "jsonl"

    def document(self, document: ExportDocument) -> Iterator[str]:
        meta = _document_fields(document)
        for layer in _layers_or_none(document):
            record: dict[str, Any] = {"text": document.text, "spans": [], "meta": meta}
            if layer is not None:
                record["_annotator_id"] = layer.name
                record["spans"] = [
                    {"start": span.start, "end": span.end, "label": span.label, "text": span.text,
                     **({"_": dict(span.attributes)} if span.attributes else {})}
                    for span in layer.spans
                ]  # fmt: skip
                if layer.answers:  # the article questions' answers travel with the document's fields
                    record["meta"] = {**meta, "answers": dict(layer.answers)}
            yield json_line(record)


def _choices(value: Any) -> list[str] | None:
    """An attribute value as Label Studio choices, or None where choices cannot hold it."""
    if isinstance(value, bool):
        return ["true" if value else "false"]
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    return None


def _answer_result(value: Any) -> dict[str, Any]:
    """An article question's answer as a Label Studio result of the whole text: a number for a
    scale, choices for a choice, several choices or yes/no."""
    if isinstance(value, bool):
        return {"type": "choices", "value": {"choices": ["yes" if value else "no"]}}
    if isinstance(value, int | float):
        return {"type": "number", "value": {"number": value}}
    return {"type": "choices", "value": {"choices": list(value) if isinstance(value, list) else [value]}}


@register
class LabelStudioFormatter(Formatter):
    name = "label-studio"
    content_type = "application/json"
    extension = "json"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.first = True

    def begin(self) -> Iterator[str]:
        yield "["

    def end(self) -> Iterator[str]:
        yield "]\n" if self.first else "\n]\n"

    def document(self, document: ExportDocument) -> Iterator[str]:
        offsets = Utf16Offsets(document.text)
        task = {
            "data": {"text": document.text, **_document_fields(document)},
            "annotations": [self._annotation(n, layer, offsets) for n, layer in enumerate(document.layers)],
        }
        separator = "\n" if self.first else ",\n"
        self.first = False
        yield separator + escape_line_separators(orjson.dumps(task).decode())

    def _annotation(self, number: int, layer: ExportLayer, offsets: Utf16Offsets) -> dict[str, Any]:
        results: list[dict[str, Any]] = []
        for index, span in enumerate(layer.spans):
            region = f"l{number}s{index}"
            place = {"start": offsets.utf16(span.start), "end": offsets.utf16(span.end)}
            results.append(
                {
                    "id": region,
                    "type": "labels",
                    "from_name": "label",
                    "to_name": "text",
                    "value": {**place, "text": span.text, "labels": [span.label]},
                }
            )
            results.extend(self._attribute_results(region, place, span.attributes))
        for index, (key, value) in enumerate(layer.answers.items()):
            results.append(
                {"id": f"l{number}q{index}", "from_name": key, "to_name": "text", **_answer_result(value)}
            )
        annotation: dict[str, Any] = {"result": results}
        if self.context.basis == "all":
            annotation["completed_by"] = {
                "username": layer.name,
                **({"email": layer.email} if layer.email else {}),
            }
        return annotation

    @staticmethod
    def _attribute_results(
        region: str, place: dict[str, int], attributes: Mapping[str, Any]
    ) -> Iterator[dict[str, Any]]:
        for key, value in attributes.items():
            choices = _choices(value)
            if choices is not None:
                yield {
                    "id": region,
                    "type": "choices",
                    "from_name": key,
                    "to_name": "text",
                    "value": {**place, "choices": choices},
                }


# What a file name may not hold on common systems, and control characters.
_UNSAFE_IN_NAMES = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]')


@register
class WebAnnoTsvFormatter(ArchiveFormatter):
    """A file per document and layer, `<document>/<layer name>.tsv`: `<document>` is the title
    made safe as a file name (told apart by the document id where two titles are the same). A
    document without layers gets one file, INITIAL_CAS.tsv (INCEpTION's name for a document
    before annotation), with no annotations."""

    name = "webanno-tsv"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.folders: set[str] = set()

    def files(self, document: ExportDocument) -> Iterator[tuple[str, str]]:
        folder = (
            _UNSAFE_IN_NAMES.sub("-", document.title).strip(" .")[:100] or f"document {document.document_id}"
        )
        if folder in self.folders:
            folder = f"{folder} ({document.document_id})"
        self.folders.add(folder)
        layers = _layers_or_none(document)
        spans = [
            [TsvSpan(s.start, s.end, s.label, s.attributes) for s in layer.spans] if layer else []
            for layer in layers
        ]
        tsv = DocumentTsv(document.text, spans, self.context.attribute_keys)
        for layer, layer_spans in zip(layers, spans, strict=True):
            yield f"{folder}/{layer.name if layer else 'INITIAL_CAS'}.tsv", tsv.file(layer_spans)


@register
class SpacyDocBinFormatter(ArchiveFormatter):
    """DocBins of up to BATCH documents each, `part-0001.spacy` and on: a document per layer,
    its annotator (the username or the basis) in `user_data["_annotator_id"]`; a document
    without layers comes once, with no spans. `spacy train` reads the folder."""

    name = "spacy-docbin"
    BATCH = 200  # a DocBin is built whole in memory: about 60 kB per 3,000-character article

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from annotator.spacy_docs import SpacyDocs  # spaCy takes a second to import: only when asked

        self.docs = SpacyDocs()
        self.parts = 0

    def files(self, document: ExportDocument) -> Iterator[tuple[str, bytes]]:
        meta = _document_fields(document)
        for layer in _layers_or_none(document):
            spans: list[SpanValues] = (
                [(s.start, s.end, s.label, s.attributes) for s in layer.spans] if layer else []
            )
            # The article questions' answers travel with the document's fields.
            answers = {"answers": dict(layer.answers)} if layer and layer.answers else {}
            self.docs.add(document.text, spans, {**meta, **answers}, annotator=layer.name if layer else None)
        if self.docs.count >= self.BATCH:
            yield from self.last_files()

    def last_files(self) -> Iterator[tuple[str, bytes]]:
        if self.docs.count:
            self.parts += 1
            yield f"part-{self.parts:04d}.spacy", self.docs.take()
