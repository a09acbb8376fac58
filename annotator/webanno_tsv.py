"""WebAnno TSV 3.3, the format INCEpTION (and WebAnno before it) reads and writes: both ways,
in one place. Pure: no Django.

A file holds one document and one annotator's annotations on it. After a header naming the
layers and their features (`#T_SP=webanno.custom.Span|label|evidence`), each sentence gives its
text on `#Text=` lines (one per line of the text, escaped) and then one row per token: its
`sentence-token` id, its UTF-16 offsets `begin-end` into the document, its text, and one column
per feature. A cell holds `_` (no annotation), or the values of the annotations on that token,
stacked with `|`; an annotation that covers several tokens, or shares its token with another of
its layer, carries a number `[N]` that ties its cells together. `*` is an annotation without a
value for that feature. A span that starts or ends inside a token is written on sub-tokens
(`1-3.1`), which lie inside their token.

The document's text is rebuilt from its sentences: each sentence's lines joined by a line break,
with a line break after each sentence, and spaces up to where the next one starts. So the text
between two sentences can only be a line break and spaces; DocumentTsv splits sentences only
where that holds, and keeps everything else inside them, so a text comes back exactly. Where a
span starts or ends in whitespace (which no token covers), that whitespace becomes a token of
its own.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import orjson

from annotator.agreement.maths.positions import TOKEN_PATTERN
from annotator.offsets import Utf16Offsets, utf16_length

FORMAT_LINE = "#FORMAT=WebAnno TSV 3.3"
SPAN_TYPE = "webanno.custom.Span"  # the layer our spans are written in; its first feature is the label
LABEL_FEATURE = "label"
# Span layers read as spans: the project's own layers, and the named-entity layer that comes
# with INCEpTION. DKPro's linguistic layers (part of speech, lemma, ...), chains and relations
# are not judgements about the text and are left out.
READ_TYPE_PREFIX = "webanno.custom."
NAMED_ENTITY_TYPE = "de.tudarmstadt.ukp.dkpro.core.api.ner.type.NamedEntity"
NO_ANNOTATION = "_"
NO_VALUE = "*"

_VALUE_ESCAPES = {"\\": "\\\\", "[": "\\[", "]": "\\]", "|": "\\|", "_": "\\_", "->": "\\->",
                  ";": "\\;", "\t": "\\t", "\n": "\\n", "*": "\\*"}  # fmt: skip
_VALUE_UNESCAPES = {escaped: plain for plain, escaped in _VALUE_ESCAPES.items()}
_VALUE_SPECIAL = re.compile(r"->|[\\\[\]|_;\t\n*]")
_VALUE_ESCAPED = re.compile(r"\\(?:->|[\\\[\]|_;tn*])")
# Text escapes: the readable ones, and a backslash before any other control character.
_TEXT_ESCAPES = {"\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r", "\b": "\\b", "\\": "\\\\"}
_TEXT_CONTROLS = "".join(chr(c) for c in [*range(8), *range(14, 32)])
_TEXT_UNESCAPES = {
    **{escaped: plain for plain, escaped in _TEXT_ESCAPES.items()},
    **{"\\" + c: c for c in _TEXT_CONTROLS},
}
_TEXT_SPECIAL = re.compile(f"[\\t\\n\\f\\r\\b\\\\{re.escape(_TEXT_CONTROLS)}]")
_TEXT_ESCAPED = re.compile(f"\\\\[tnfrb\\\\{re.escape(_TEXT_CONTROLS)}]")
_ESCAPE_OR_BAR = re.compile(r"\\.|\|", re.DOTALL)
_FORMAT = re.compile(r"#FORMAT=WebAnno TSV 3\.(\d+)")
_UNIT_ID = re.compile(r"(\d+)-(\d+)(?:\.(\d+))?")
_OFFSETS = re.compile(r"(\d+)-(\d+)")


def escape_value(value: str) -> str:
    return _VALUE_SPECIAL.sub(lambda m: _VALUE_ESCAPES[m.group()], value)


def unescape_value(value: str) -> str:
    if "\\" not in value:
        return value
    return _VALUE_ESCAPED.sub(lambda m: _VALUE_UNESCAPES[m.group()], value)


def escape_text(text: str) -> str:
    return _TEXT_SPECIAL.sub(lambda m: _TEXT_ESCAPES.get(m.group(), "\\" + m.group()), text)


def unescape_text(text: str) -> str:
    if "\\" not in text:
        return text
    return _TEXT_ESCAPED.sub(lambda m: _TEXT_UNESCAPES[m.group()], text)


def value_text(value: Any) -> str:
    """An attribute value as a feature's string: strings as they are, true and false, and
    anything else (several choices, stance toward targets) as JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return orjson.dumps(value).decode()


# -- writing ---------------------------------------------------------------------------------


class TsvSpan(NamedTuple):
    start: int  # code points, as stored
    end: int
    label: str
    attributes: Mapping[str, Any]


class _Unit(NamedTuple):
    start: int
    end: int


class DocumentTsv:
    """The TSV files of one document, one per layer: the tokens and sentences are worked out
    once, from the text and every layer's span boundaries, so all of the document's files share
    them."""

    def __init__(self, text: str, layers: Sequence[Sequence[TsvSpan]], attribute_keys: Sequence[str]) -> None:
        self.text = text
        self.keys = tuple(attribute_keys)
        self.offsets = Utf16Offsets(text)
        starts = sorted({span.start for spans in layers for span in spans})
        ends = sorted({span.end for spans in layers for span in spans})
        self.tokens = self._tokens(starts, ends)
        self.token_starts = [token.start for token in self.tokens]
        self.sentences = self._sentences()
        header = "|".join([SPAN_TYPE, LABEL_FEATURE, *self.keys])
        self.header = f"{FORMAT_LINE}\n#T_SP={header}\n\n"

    def _tokens(self, starts: Sequence[int], ends: Sequence[int]) -> list[_Unit]:
        """The words and symbols of the text, and each stretch of whitespace that a span starts
        or ends in (else the span would lose that whitespace), or that comes before the first
        word and is not only spaces (the first sentence starts at a token)."""
        words = [_Unit(*m.span()) for m in TOKEN_PATTERN.finditer(self.text)]
        gap_starts = [0] + [word.end for word in words]
        gap_ends = [word.start for word in words] + [len(self.text)]
        tokens: list[_Unit] = []
        for gap_start, gap_end, word in zip(gap_starts, gap_ends, [*words, None], strict=True):
            if gap_start < gap_end and (
                bisect.bisect_left(starts, gap_start) < bisect.bisect_left(starts, gap_end)
                or bisect.bisect_right(ends, gap_start) < bisect.bisect_right(ends, gap_end)
                or (gap_start == 0 and self.text[:gap_end].strip(" "))
            ):
                tokens.append(_Unit(gap_start, gap_end))
            if word is not None:
                tokens.append(word)
        return tokens

    def _sentences(self) -> list[tuple[int, int, range]]:
        """(start, end, token indexes) of each sentence. A sentence ends before a line break
        that only spaces separate from the next token; everything else stays inside it, so the
        text comes back exactly when the sentences are joined."""
        sentences: list[tuple[int, int, range]] = []
        first = 0
        for index in range(1, len(self.tokens)):
            gap = self.text[self.tokens[index - 1].end : self.tokens[index].start]
            last_break = gap.rfind("\n")
            if last_break >= 0 and not gap[last_break + 1 :].strip(" "):
                end = self.tokens[index - 1].end + last_break
                sentences.append((self.tokens[first].start, end, range(first, index)))
                first = index
        if self.tokens:
            sentences.append((self.tokens[first].start, len(self.text), range(first, len(self.tokens))))
        return sentences

    def _units(self, span: TsvSpan) -> list[tuple[int, _Unit]]:
        """(token index, unit) for each token or sub-token the span covers."""
        units = []
        index = max(bisect.bisect_right(self.token_starts, span.start) - 1, 0)
        while index < len(self.tokens) and self.tokens[index].start < span.end:
            token = self.tokens[index]
            part = _Unit(max(span.start, token.start), min(span.end, token.end))
            if part.start < part.end:
                units.append((index, part))
            index += 1
        return units

    def file(self, spans: Sequence[TsvSpan]) -> str:
        """The TSV of one layer of spans."""
        covering: dict[tuple[int, _Unit], list[int]] = {}  # unit -> the spans on it, in order
        spans_units = [self._units(span) for span in spans]
        for number, units in enumerate(spans_units):
            for placed in units:
                covering.setdefault(placed, []).append(number)
        ids: dict[int, int] = {}
        for number, units in enumerate(spans_units):
            if len(units) > 1 or any(len(covering[placed]) > 1 for placed in units):
                ids[number] = len(ids) + 1
        sub_tokens: dict[int, list[_Unit]] = {}
        for index, unit in covering:
            if unit != self.tokens[index]:
                sub_tokens.setdefault(index, []).append(unit)
        cells = [self._cells(spans, numbers, ids) for numbers in covering.values()]
        cell_of = dict(zip(covering, cells, strict=True))
        empty = [NO_ANNOTATION] * (1 + len(self.keys))
        pieces = [self.header]
        for number, (start, end, token_indexes) in enumerate(self.sentences, start=1):
            pieces.append("\n")
            pieces.extend(f"#Text={escape_text(line)}\n" for line in self.text[start:end].split("\n"))
            for position, index in enumerate(token_indexes, start=1):
                token = self.tokens[index]
                pieces.append(self._row(f"{number}-{position}", token, cell_of.get((index, token), empty)))
                for sub, unit in enumerate(sorted(sub_tokens.get(index, ())), start=1):
                    pieces.append(self._row(f"{number}-{position}.{sub}", unit, cell_of[(index, unit)]))
        return "".join(pieces)

    def _cells(self, spans: Sequence[TsvSpan], numbers: list[int], ids: Mapping[int, int]) -> list[str]:
        columns: list[list[str]] = [[] for _ in range(1 + len(self.keys))]
        for number in numbers:
            span = spans[number]
            suffix = f"[{ids[number]}]" if number in ids else ""
            columns[0].append(escape_value(span.label) + suffix)
            for column, key in enumerate(self.keys, start=1):
                value = span.attributes.get(key)
                columns[column].append(
                    (NO_VALUE if value is None else escape_value(value_text(value))) + suffix
                )
        return ["|".join(values) for values in columns]

    def _row(self, unit_id: str, unit: _Unit, cells: Sequence[str]) -> str:
        begin, end = self.offsets.utf16(unit.start), self.offsets.utf16(unit.end)
        # INCEpTION writes a token's text as it is; ours may be whitespace, which would break
        # the row, so it is escaped as sentence text is. Readers take the text from #Text.
        text = escape_text(self.text[unit.start : unit.end])
        return "\t".join([unit_id, f"{begin}-{end}", text, *cells]) + "\t\n"


# -- reading ---------------------------------------------------------------------------------


class TsvProblem(Exception):
    """What is wrong with a file, and where: the line and the column or field."""

    def __init__(self, line: int | None, where: str | None, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.where = where
        self.message = message


@dataclass
class TsvAnnotation:
    """A span annotation as the file gives it: UTF-16 offsets, its layer's type, its feature
    values (None for `*`), and the line and unit it starts on."""

    begin: int
    end: int
    type: str
    values: dict[str, str | None]
    line: int
    unit: str

    def label(self, label_feature: str | None) -> str:
        """The label: the value of the layer's label feature, else the layer's name
        (`webanno.custom.Claim` -> `Claim`)."""
        value = self.values.get(label_feature) if label_feature else None
        return value if value else self.type.rsplit(".", 1)[-1]


@dataclass
class _Column:
    type: str
    feature: str | None  # None: a layer without features, or a column not read
    read: bool


@dataclass
class _Layer:
    type: str
    label_feature: str | None


@dataclass
class TsvDocument:
    text: str
    annotations: list[TsvAnnotation]
    label_features: dict[str, str | None]  # each layer read -> its label feature, if any

    def spans(self) -> Iterator[tuple[TsvAnnotation, str, dict[str, str]]]:
        """Each annotation with its label and its other feature values that are set."""
        for annotation in self.annotations:
            label_feature = self.label_features[annotation.type]
            attributes = {
                name: value
                for name, value in annotation.values.items()
                if name != label_feature and value is not None
            }
            yield annotation, annotation.label(label_feature), attributes


def _header(lines: Iterator[tuple[int, str]]) -> tuple[list[_Column], dict[str, str | None]]:
    """The columns the header declares, and the label feature of each layer read."""
    number, first = next(lines, (1, ""))
    found = _FORMAT.fullmatch(first)
    if not found:
        raise TsvProblem(number, "#FORMAT", f"must be `{FORMAT_LINE}` (WebAnno TSV 3), not {first[:60]!r}")
    if int(found.group(1)) < 2:
        raise TsvProblem(
            number, "#FORMAT", "is WebAnno TSV 3.0 or 3.1; export again from INCEpTION, which writes 3.3"
        )
    columns: list[_Column] = []
    label_features: dict[str, str | None] = {}
    for number, line in lines:
        if not line:
            return columns, label_features
        kind, _, declaration = line.partition("=")
        if kind not in ("#T_SP", "#T_CH", "#T_RL"):
            raise TsvProblem(number, kind, "a header line must declare a layer (#T_SP=, #T_CH= or #T_RL=)")
        type_name, *features = declaration.split("|")
        read = kind == "#T_SP" and (type_name.startswith(READ_TYPE_PREFIX) or type_name == NAMED_ENTITY_TYPE)
        if not features:
            features = [""]
        slot_target = False
        names: list[str] = []
        for feature in features:
            # A slot feature takes two columns: its role, then its target's type.
            skip = slot_target or feature.startswith("ROLE_")
            slot_target = feature.startswith("ROLE_")
            columns.append(_Column(type_name, feature or None, read and not skip))
            if read and feature and not skip:
                names.append(feature)
        if read:
            label_features[type_name] = next((n for n in (LABEL_FEATURE, "value") if n in names), None)
    raise TsvProblem(None, None, "ends inside its header: no sentence follows")


def _split_stack(cell: str) -> list[str]:
    """A cell's values: split at each | that no backslash escapes."""
    if "\\" not in cell:
        return cell.split("|")
    values, start = [], 0
    for found in _ESCAPE_OR_BAR.finditer(cell):
        if found.group() == "|":
            values.append(cell[start : found.start()])
            start = found.end()
    return [*values, cell[start:]]


def _stacked(cell: str, unit: str, line: int) -> Iterator[tuple[int | None, str]]:
    """(disambiguation number or None, raw value) of each annotation in a cell."""
    for raw in _split_stack(cell):
        if raw.endswith("]") and not raw.endswith("\\]") and "[" in raw:
            value, _, number = raw[:-1].rpartition("[")
            if not number.isdigit():
                raise TsvProblem(line, unit, f"{raw!r} ends in [{number}], which is not a number")
            yield int(number), value
        else:
            yield None, raw


class _Reader:
    def __init__(self, columns: list[_Column], label_features: dict[str, str | None]) -> None:
        self.columns = columns
        self.label_features = label_features
        self.pieces: list[str] = []
        self.length = 0  # of the text so far, in UTF-16 code units
        self.sentence: list[str] = []
        self.in_header = True
        self.annotations: list[TsvAnnotation] = []
        self.numbered: dict[int, TsvAnnotation] = {}
        # The rows read (each sentence's first, and those with annotations), checked against
        # the text at the end: line, id, begin, end, text.
        self.units: list[tuple[int, str, int, int, str]] = []
        # How a row with no annotation ends. Most rows are such rows: they are passed over.
        self.empty_tail = f"\t{NO_ANNOTATION}" * len(columns) + "\t"

    def line(self, number: int, line: str) -> None:
        if not self.in_header and line.endswith(self.empty_tail):
            return
        if not line:
            self.in_header = True
        elif line.startswith("#"):
            if not self.in_header:
                raise TsvProblem(number, None, "a sentence header must follow a blank line")
            if line.startswith("#Text="):
                self.sentence.append(unescape_text(line[len("#Text=") :]))
        else:
            self.row(number, line.split("\t"))

    def row(self, number: int, fields: list[str]) -> None:
        if len(fields) < 3 + len(self.columns):
            raise TsvProblem(
                number,
                None,
                f"has {len(fields)} tab-separated fields; the header's layers need {3 + len(self.columns)}",
            )
        unit_id, offsets, text = fields[:3]
        found_id, found_offsets = _UNIT_ID.fullmatch(unit_id), _OFFSETS.fullmatch(offsets)
        if not found_id:
            raise TsvProblem(number, "id", f"{unit_id!r} is not a sentence-token id such as 1-3 or 1-3.1")
        if not found_offsets:
            raise TsvProblem(number, unit_id, f"offsets {offsets!r} are not begin-end")
        begin, end = int(found_offsets.group(1)), int(found_offsets.group(2))
        if self.in_header:
            if found_id.group(3) is not None or not self.sentence:
                raise TsvProblem(number, unit_id, "a sentence must start with its #Text and then a token")
            self._start_sentence(begin, number, unit_id)
            self.in_header = False
        self.units.append((number, unit_id, begin, end, text))
        on_unit: dict[tuple[str, int], TsvAnnotation] = {}
        for position, column in enumerate(self.columns):
            cell = fields[3 + position]
            if not column.read or cell == NO_ANNOTATION:
                continue
            for stack, (disambiguation, raw) in enumerate(_stacked(cell, unit_id, number)):
                annotation = on_unit.get((column.type, stack))
                if annotation is None and disambiguation is not None:
                    annotation = self.numbered.get(disambiguation)
                    if annotation is not None:
                        annotation.end = max(annotation.end, end)
                if annotation is None:
                    annotation = TsvAnnotation(begin, end, column.type, {}, number, unit_id)
                    self.annotations.append(annotation)
                if disambiguation is not None:
                    self.numbered[disambiguation] = annotation
                on_unit[(column.type, stack)] = annotation
                if column.feature is not None:
                    annotation.values[column.feature] = None if raw == NO_VALUE else unescape_value(raw)

    def _start_sentence(self, begin: int, number: int, unit_id: str) -> None:
        """Add the sentence's text where its first token says it starts, as INCEpTION does."""
        if self.length > begin:
            if self.length != begin + 1:
                raise TsvProblem(number, unit_id, f"starts at {begin}, inside the previous sentence")
            self.pieces[-1] = self.pieces[-1][:-1]  # the line break after the previous sentence
            self.length -= 1
        if self.length < begin:
            self.pieces.append(" " * (begin - self.length))
            self.length = begin
        text = "\n".join(self.sentence) + "\n"
        self.pieces.append(text)
        self.length += utf16_length(text)
        self.sentence = []

    def document(self) -> TsvDocument:
        text = "".join(self.pieces)[:-1]  # no line break after the last sentence
        offsets = Utf16Offsets(text)
        for number, unit_id, begin, end, written in self.units:
            first, last = offsets.code_point(begin), offsets.code_point(end)
            if first is None or last is None or last < first:
                raise TsvProblem(
                    number,
                    unit_id,
                    f"[{begin}, {end}) does not fit the text, which is {offsets.length} UTF-16 code units long "
                    "(an offset past its end, or inside a character beyond U+FFFF)",
                )
            actual = text[first:last]
            if written not in (actual, escape_text(actual)):
                raise TsvProblem(
                    number,
                    unit_id,
                    f"the token is {written[:60]!r}, but the text has {actual[:60]!r} at [{begin}, {end}) "
                    f"(UTF-16 code units); were the offsets counted another way?",
                )
        return TsvDocument(text=text, annotations=self.annotations, label_features=self.label_features)


def read_tsv(lines: Iterable[tuple[int, str]]) -> TsvDocument:
    """The document of a WebAnno TSV 3.2 or 3.3 file, given as (line number, line) without line
    endings. Raises TsvProblem for the first thing wrong."""
    stream = iter(lines)
    columns, label_features = _header(stream)
    reader = _Reader(columns, label_features)
    for number, line in stream:
        reader.line(number, line)
    if not reader.units:
        raise TsvProblem(None, None, "has no sentences")
    return reader.document()
