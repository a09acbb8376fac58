"""Span annotations made in other tools, read into what this project stores: a document (with
the document import's field names) and one layer of spans per annotator the file names.

Pure: no database. Offsets are converted here from the unit the tool counts in to code points
of the text as the file gives it, and each span's text is checked where the file carries it;
the service then maps them onto the stored (normalised) text.

- `doccano`: doccano's JSONL export of a sequence-labelling project, one file per annotator
  (doccano puts them in a zip, `<username>.jsonl`; the annotator is the file's name without
  `.jsonl`). A line is `{"id": 1, "text": "...", "label": [[start, end, "LABEL"], ...]}`, or
  carries `"entities": [{"start_offset": 0, "end_offset": 5, "label": "LABEL"}, ...]`.
  doccano counts offsets in UTF-16 code units, as the browser does.
- `label-studio`: Label Studio's JSON export, an array of tasks
  `{"id": 1, "data": {"text": "..."}, "annotations": [{"completed_by": ..., "result": [...]}]}`.
  Each annotation is one annotator's layer; `completed_by` names them (an id, or an object with
  `email` or `username`). A result of type `labels` is a span (`value`: start, end, text,
  labels); results of type `choices` or `taxonomy` with the same region `id` are its
  attributes, under their `from_name`. Ratings of the whole text (`number`, `rating`, and
  choices with no span of their id, as our export writes article questions' answers) are
  left out: answers are not imported. Cancelled annotations are left out. Offsets are UTF-16
  code units.
- `spacy`: spaCy's JSONL (see Spacy), offsets in code points.
- `spacy-docbin`: spaCy's DocBin (`.spacy`, see annotator.spacy_docs), offsets in code points;
  a document's `user_data["_annotator_id"]` names its annotator, else the file's name without
  `.spacy` does; span extension values are attributes, and `user_data["meta"]` holds the
  document's fields.
- `webanno-tsv`: WebAnno TSV 3.2 or 3.3 as INCEpTION exports it (see annotator.webanno_tsv), one
  document per file. The annotator is the file's name without `.tsv`, and a zip may hold
  `<document>/<annotator>.tsv`, the folder naming the document (its title). Annotations of the
  project's own layers (`webanno.custom.*`) and of named entities are read; the label is the
  layer's `label` or `value` feature, else the layer's name (`Claim` for `webanno.custom.Claim`),
  and the layer's other features that are set are attributes. Offsets are UTF-16 code
  units, and the text of each token an annotation lies on (and of each sentence's first) is
  checked against the text rebuilt from the sentences.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any, ClassVar, NamedTuple

from annotator.imports.base import ImportIssue, ImportLimits, Record, a_type_name
from annotator.imports.formats import JsonlParser, JsonParser
from annotator.imports.readers import iter_chunks
from annotator.imports.rows import title_from_text
from annotator.offsets import Utf16Offsets
from annotator.webanno_tsv import TsvProblem, read_tsv

if TYPE_CHECKING:
    from annotator.spacy_docs import DocBinReader


@dataclass(slots=True)
class FileSpan:
    """A span as the file gives it, its offsets already in code points of the file's text.
    `where` names it in messages ("label[2]", "annotations[0].result[3]")."""

    start: int
    end: int
    label: str
    text: str | None
    attributes: dict[str, Any]
    where: str


@dataclass(slots=True)
class FileLayer:
    annotator: str
    spans: list[FileSpan] = field(default_factory=list)


@dataclass(slots=True)
class AnnotatedRecord:
    """One document of the file with its layers. `document` holds the document import's fields."""

    document: Record
    layers: list[FileLayer]


def _int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class _SpanBuilder:
    """Checks a span's offsets against one document's text and converts them to code points
    from the unit the tool counts in: UTF-16 code units, or (`utf16` False) code points."""

    def __init__(self, text: str, name: str, record: Record, *, utf16: bool = True) -> None:
        self.text = text
        self.offsets = Utf16Offsets(text) if utf16 else None
        self.unit = "UTF-16 code units" if utf16 else "code points"
        self.length = self.offsets.length if self.offsets is not None else len(text)
        self.name = name
        self.record = record

    def _code_point(self, offset: int) -> int | None:
        if self.offsets is not None:
            return self.offsets.code_point(offset)
        return offset if 0 <= offset <= self.length else None

    def issue(self, where: str, message: str) -> ImportIssue:
        return ImportIssue(
            file=self.name, line=self.record.line, field=where, message=message, item=self.record.item
        )

    def span(
        self,
        *,
        start: object,
        end: object,
        label: object,
        text: object,
        attributes: dict[str, Any],
        where: str,
    ) -> FileSpan | ImportIssue:
        if not _int(start) or not _int(end):
            return self.issue(
                where, f"start and end must be integers, not {a_type_name(start)} and {a_type_name(end)}"
            )
        if not isinstance(label, str) or not label:
            return self.issue(where, f"the label must be a non-empty string, not {a_type_name(label)}")
        if text is not None and not isinstance(text, str):
            return self.issue(where, f"text must be a string, not {a_type_name(text)}")
        assert isinstance(start, int)
        assert isinstance(end, int)
        first, last = self._code_point(start), self._code_point(end)
        if first is None or last is None:
            inside = ", or inside a character beyond U+FFFF" if self.offsets is not None else ""
            return self.issue(
                where,
                f"[{start}, {end}) does not fit the text, which is {self.length} {self.unit} long "
                f"(an offset past its end{inside})",
            )
        if last <= first:
            return self.issue(where, f"[{start}, {end}) is empty or reversed")
        actual = self.text[first:last]
        if text is not None and text != actual:
            return self.issue(
                where,
                f"the file says the span's text is {_preview(text)}, but the document has {_preview(actual)} "
                f"at [{start}, {end}) ({self.unit}); was the text changed after it was annotated?",
            )
        return FileSpan(start=first, end=last, label=label, text=actual, attributes=attributes, where=where)


def _preview(text: str, limit: int = 60) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "…")


def _document_fields(values: Mapping[str, Any], text: object, external_id: object) -> dict[str, Any]:
    """The document import's fields from a record of another tool: the text, its id, and the
    fields the two share; a title from the first non-blank line when there is none."""
    fields: dict[str, Any] = {"text": text}
    for name in ("title", "url", "author", "source", "published_at"):
        if values.get(name) is not None:
            fields[name] = values[name]
    if _int(external_id) or isinstance(external_id, str):
        fields["external_id"] = str(external_id)
    if "title" not in fields and isinstance(text, str):
        fields["title"] = title_from_text(text)
    return fields


class AnnotationFormat:
    """Reads one file of a tool's export into AnnotatedRecords, and ImportIssues for what is wrong."""

    name: ClassVar[str]
    extensions: ClassVar[tuple[str, ...]]

    def read(
        self, stream: IO[bytes], *, name: str, limits: ImportLimits
    ) -> Iterator[AnnotatedRecord | ImportIssue]:
        raise NotImplementedError


class _JsonlFormat(AnnotationFormat):
    """A tool whose JSONL holds one annotator's spans on one document per line. The annotator is
    named by the line's `annotator_field`, or else by the file (`<username>.jsonl`). A line with
    no spans brings its document, not a layer: doccano writes every example into every
    annotator's file, with no labels where they made none."""

    extensions = (".jsonl",)
    annotator_field: ClassVar[str]
    utf16: ClassVar[bool]

    def read(
        self, stream: IO[bytes], *, name: str, limits: ImportLimits
    ) -> Iterator[AnnotatedRecord | ImportIssue]:
        file_annotator = name.rsplit("/", 1)[-1].removesuffix(".jsonl")
        for item in JsonlParser().parse(stream, name=name, limits=limits):
            if isinstance(item, ImportIssue):
                yield item
                continue
            values = item.fields
            text = values.get("text")
            document = Record(fields=self.document_fields(values), line=item.line)
            if not isinstance(text, str):
                yield ImportIssue(
                    file=name,
                    line=item.line,
                    field="text",
                    message=f"must be a string, not {a_type_name(text)}",
                )
                continue
            builder = _SpanBuilder(text, name, document, utf16=self.utf16)
            annotator = values.get(self.annotator_field)
            layer = FileLayer(annotator if isinstance(annotator, str) and annotator else file_annotator)
            problems = False
            for span in self.spans(values, builder):
                if isinstance(span, ImportIssue):
                    problems = True
                    yield span
                else:
                    layer.spans.append(span)
            if not problems:
                yield AnnotatedRecord(document=document, layers=[layer] if layer.spans else [])

    def document_fields(self, values: Mapping[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def spans(self, values: Mapping[str, Any], builder: _SpanBuilder) -> Iterator[FileSpan | ImportIssue]:
        raise NotImplementedError


class Doccano(_JsonlFormat):
    name = "doccano"
    annotator_field = "annotator"
    utf16 = True

    def document_fields(self, values: Mapping[str, Any]) -> dict[str, Any]:
        return _document_fields(values, values.get("text"), values.get("external_id", values.get("id")))

    def spans(self, values: Mapping[str, Any], builder: _SpanBuilder) -> Iterator[FileSpan | ImportIssue]:
        if "label" not in values and "entities" not in values:
            yield builder.issue("label", "is missing: a doccano line carries `label` (or `entities`)")
            return
        for where, start, end, label in _doccano_spans(values):
            yield builder.span(start=start, end=end, label=label, text=None, attributes={}, where=where)


def _doccano_spans(values: Mapping[str, Any]) -> Iterator[tuple[str, object, object, object]]:
    labels = values.get("label")
    if labels is not None:
        if not isinstance(labels, list):
            yield "label", None, None, None
            return
        for index, entry in enumerate(labels):
            if isinstance(entry, list) and len(entry) == 3:
                yield f"label[{index}]", entry[0], entry[1], entry[2]
            else:
                yield f"label[{index}]", None, None, None
    entities = values.get("entities")
    if entities is not None:
        if not isinstance(entities, list):
            yield "entities", None, None, None
            return
        for index, entity in enumerate(entities):
            if isinstance(entity, Mapping):
                yield (
                    f"entities[{index}]",
                    entity.get("start_offset"),
                    entity.get("end_offset"),
                    entity.get("label"),
                )
            else:
                yield f"entities[{index}]", None, None, None


# Result types that carry a region's attributes; each holds its values under its own name.
_LABEL_STUDIO_ATTRIBUTES = ("choices", "taxonomy")
# Results about the whole text rather than a span (the article questions): not imported.
_LABEL_STUDIO_WHOLE_TEXT = ("number", "rating")


def _label_studio_annotator(completed_by: object) -> str | None:
    if _int(completed_by) or isinstance(completed_by, str):
        return str(completed_by)
    if isinstance(completed_by, Mapping):
        for key in ("username", "email", "id"):
            value = completed_by.get(key)
            if value not in (None, ""):
                return str(value)
    return None


class LabelStudio(AnnotationFormat):
    name = "label-studio"
    extensions = (".json",)

    def read(
        self, stream: IO[bytes], *, name: str, limits: ImportLimits
    ) -> Iterator[AnnotatedRecord | ImportIssue]:
        for item in JsonParser().parse(stream, name=name, limits=limits):
            if isinstance(item, ImportIssue):
                yield item
            else:
                yield from self._record(item, name)

    def _record(self, item: Record, name: str) -> Iterator[AnnotatedRecord | ImportIssue]:
        """The task's document and layers, or what is wrong with it."""
        task = item.fields
        data = task.get("data")
        values: Mapping[str, Any] = data if isinstance(data, Mapping) else {}
        text = values.get("text")
        document = Record(
            fields=_document_fields(values, text, values.get("external_id", task.get("id"))),
            line=item.line,
            item=item.item,
        )
        builder = _SpanBuilder(text if isinstance(text, str) else "", name, document)
        if not isinstance(data, Mapping):
            yield builder.issue("data", f"must be an object holding the task's text, not {a_type_name(data)}")
            return
        if not isinstance(text, str):
            yield builder.issue("data.text", f"must be a string, not {a_type_name(text)}")
            return
        annotations = task.get("annotations", [])
        if not isinstance(annotations, list):
            yield builder.issue("annotations", f"must be an array, not {a_type_name(annotations)}")
            return
        layers: list[FileLayer] = []
        problems: list[ImportIssue] = []
        for index, annotation in enumerate(annotations):
            layer = self._layer(f"annotations[{index}]", annotation, builder, problems)
            if layer is not None:
                layers.append(layer)
        if problems:
            yield from problems
        else:
            yield AnnotatedRecord(document=document, layers=layers)

    def _layer(
        self, where: str, annotation: object, builder: _SpanBuilder, problems: list[ImportIssue]
    ) -> FileLayer | None:
        """One annotation's layer (None for a cancelled one); its problems go to `problems`."""
        if not isinstance(annotation, Mapping):
            problems.append(builder.issue(where, f"must be an object, not {a_type_name(annotation)}"))
            return None
        if annotation.get("was_cancelled"):
            return None
        annotator = _label_studio_annotator(annotation.get("completed_by"))
        if annotator is None:
            problems.append(
                builder.issue(
                    f"{where}.completed_by", "does not name an annotator (an id, email or username)"
                )
            )
            return None
        results = annotation.get("result", [])
        if not isinstance(results, list):
            problems.append(builder.issue(f"{where}.result", f"must be an array, not {a_type_name(results)}"))
            return None
        layer = FileLayer(annotator)
        attributes = self._region_attributes(where, results, builder, problems)
        for position, result in enumerate(results):
            at = f"{where}.result[{position}]"
            if not isinstance(result, Mapping):
                problems.append(builder.issue(at, f"must be an object, not {a_type_name(result)}"))
            elif result.get("type") == "labels":
                span = self._span(at, result, attributes.get(result.get("id"), {}), builder)
                if isinstance(span, ImportIssue):
                    problems.append(span)
                else:
                    layer.spans.append(span)
            elif result.get("type") not in (*_LABEL_STUDIO_ATTRIBUTES, *_LABEL_STUDIO_WHOLE_TEXT):
                message = f"type {result.get('type')!r} is not read: only labels, choices and taxonomy are"
                problems.append(builder.issue(at, message))
        return layer

    @staticmethod
    def _region_attributes(
        where: str, results: list[Any], builder: _SpanBuilder, problems: list[ImportIssue]
    ) -> dict[object, dict[str, Any]]:
        """Region id -> its attributes: the values of its choices and taxonomy results."""
        attributes: dict[object, dict[str, Any]] = {}
        for position, result in enumerate(results):
            if not isinstance(result, Mapping) or result.get("type") not in _LABEL_STUDIO_ATTRIBUTES:
                continue
            kind, value = result["type"], result.get("value")
            if isinstance(value, Mapping) and result.get("from_name") and kind in value:
                attributes.setdefault(result.get("id"), {})[str(result["from_name"])] = value[kind]
            else:
                message = f"a {kind} result needs from_name and value.{kind}"
                problems.append(builder.issue(f"{where}.result[{position}]", message))
        return attributes

    @staticmethod
    def _span(
        at: str, result: Mapping[str, Any], attributes: dict[str, Any], builder: _SpanBuilder
    ) -> FileSpan | ImportIssue:
        value = result.get("value")
        labels = value.get("labels") if isinstance(value, Mapping) else None
        if not isinstance(value, Mapping) or not isinstance(labels, list) or len(labels) != 1:
            return builder.issue(f"{at}.value.labels", "must name exactly one label")
        return builder.span(
            start=value.get("start"),
            end=value.get("end"),
            label=labels[0],
            text=value.get("text"),
            attributes=attributes,
            where=at,
        )


class Spacy(_JsonlFormat):
    """spaCy's JSONL, offsets in code points: a line holds `text` and its spans as a list
    (`spans`: [{"start", "end", "label"}], as spaCy projects and Prodigy write them), as span
    groups (`spans`: {"group": [...]}, as Doc.to_json writes them), or as `ents`. A span's
    `text`, where given, is checked; its `_` (span extensions given as JSON) holds attributes.
    `_annotator_id` names the annotator (Prodigy writes "dataset-name"); else the file does.
    The document's fields may sit in `meta`."""

    name = "spacy"
    annotator_field = "_annotator_id"
    utf16 = False

    def document_fields(self, values: Mapping[str, Any]) -> dict[str, Any]:
        found = values.get("meta")
        meta: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
        external_id = values.get("external_id", meta.get("external_id"))
        return _document_fields({**meta, **values}, values.get("text"), external_id)

    def spans(self, values: Mapping[str, Any], builder: _SpanBuilder) -> Iterator[FileSpan | ImportIssue]:
        for where, entry in _spacy_spans(values):
            if not isinstance(entry, Mapping):
                yield builder.issue(
                    where, f"must be an object with start, end and label, not {a_type_name(entry)}"
                )
                continue
            extensions = entry.get("_", {})
            if not isinstance(extensions, Mapping):
                yield builder.issue(
                    f"{where}._", f"must be an object of attributes, not {a_type_name(extensions)}"
                )
                continue
            yield builder.span(
                start=entry.get("start"), end=entry.get("end"), label=entry.get("label"),
                text=entry.get("text"), attributes=dict(extensions), where=where,
            )  # fmt: skip


def _spacy_spans(values: Mapping[str, Any]) -> Iterator[tuple[str, object]]:
    spans = values.get("spans")
    if isinstance(spans, list):
        yield from ((f"spans[{n}]", entry) for n, entry in enumerate(spans))
    elif isinstance(spans, Mapping):
        for group, entries in spans.items():
            if isinstance(entries, list):
                yield from ((f"spans.{group}[{n}]", entry) for n, entry in enumerate(entries))
            else:
                yield f"spans.{group}", entries
    elif spans is not None:
        yield "spans", spans
    ents = values.get("ents")
    if isinstance(ents, list):
        yield from ((f"ents[{n}]", entry) for n, entry in enumerate(ents))
    elif ents is not None:
        yield "ents", ents


class FoundSpan(NamedTuple):
    """A span as a format found it, offsets in the format's unit; `line` where it is not the
    record's."""

    start: int
    end: int
    label: str
    attributes: dict[str, Any]
    where: str
    line: int | None = None


def _record_with_layer(
    record: Record, builder: _SpanBuilder, annotator: str, spans: list[FoundSpan]
) -> Iterator[AnnotatedRecord | ImportIssue]:
    """The record with `annotator`'s layer of `spans` (none if it has no spans), or what is
    wrong with them."""
    layer = FileLayer(annotator)
    problems = []
    for found in spans:
        span = builder.span(
            start=found.start, end=found.end, label=found.label, text=None,
            attributes=found.attributes, where=found.where,
        )  # fmt: skip
        if isinstance(span, ImportIssue):
            if found.line is not None:
                span.line = found.line
            problems.append(span)
        else:
            layer.spans.append(span)
    if problems:
        yield from problems
    else:
        yield AnnotatedRecord(document=record, layers=[layer] if layer.spans else [])


class WebAnnoTsv(AnnotationFormat):
    name = "webanno-tsv"
    extensions = (".tsv",)

    def read(
        self, stream: IO[bytes], *, name: str, limits: ImportLimits
    ) -> Iterator[AnnotatedRecord | ImportIssue]:
        try:
            # A file holds one document: read whole (UTF-8 checked), its lines split in memory.
            text = "".join(iter_chunks(stream, name=name))
            if "\r" in text:  # the text escapes its own carriage returns: these end lines
                text = text.replace("\r\n", "\n")
            lines = text.split("\n")
            if lines[-1] == "":
                lines.pop()
            document = read_tsv(enumerate(lines, start=1))
        except TsvProblem as problem:
            yield ImportIssue(file=name, line=problem.line, field=problem.where, message=problem.message)
            return
        *folders, file_name = name.split("/")
        folder = folders[-1] if folders and not folders[-1].lower().endswith(".zip") else None
        record = Record(
            fields=_document_fields({"title": folder} if folder else {}, document.text, None), line=1
        )
        spans = [
            FoundSpan(a.begin, a.end, label, attributes, a.unit, a.line)
            for a, label, attributes in document.spans()
        ]
        builder = _SpanBuilder(document.text, name, record)
        yield from _record_with_layer(record, builder, file_name.rsplit(".", 1)[0], spans)


class SpacyDocBin(AnnotationFormat):
    name = "spacy-docbin"
    extensions = (".spacy",)

    def __init__(self) -> None:
        self.reader: DocBinReader | None = None  # made on the first file: one serves them all

    def read(
        self, stream: IO[bytes], *, name: str, limits: ImportLimits
    ) -> Iterator[AnnotatedRecord | ImportIssue]:
        from annotator.spacy_docs import DocBinReader, NotADocBin  # spaCy takes a second to import

        if self.reader is None:
            self.reader = DocBinReader()
        annotator = name.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        try:
            docs = list(self.reader.read(stream.read(), max_bytes=limits.max_uncompressed_bytes))
        except NotADocBin as problem:
            yield ImportIssue(file=name, line=None, field=None, message=str(problem))
            return
        for index, doc in enumerate(docs):
            external_id = doc.meta.get("external_id")
            record = Record(fields=_document_fields(doc.meta, doc.text, external_id), item=index)
            spans = [FoundSpan(f.start, f.end, f.label, f.attributes, f.where) for f in doc.spans]
            builder = _SpanBuilder(doc.text, name, record, utf16=False)
            yield from _record_with_layer(record, builder, doc.annotator or annotator, spans)


ANNOTATION_FORMATS: dict[str, type[AnnotationFormat]] = {
    cls.name: cls for cls in (Doccano, LabelStudio, Spacy, SpacyDocBin, WebAnnoTsv)
}
