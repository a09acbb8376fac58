"""spaCy's binary DocBin (`.spacy`), the training data `spacy train` reads: both ways, in one
place. Pure: no Django. Importing it imports spaCy, which takes a second: callers import it
when they need it.

Spans go in the span group `sc` (spaCy's span categorizer reads it; spans may overlap there, as
they may not in `doc.ents`); offsets are code points, as spaCy counts. Span attributes are span
extension values, kept in `doc.user_data` under ("._.", name, start_char, end_char) as spaCy
keeps them, so `span._.evidence` works once the extension is registered; the document's fields
are in `doc.user_data["meta"]`, and whose layer it is in `doc.user_data["_annotator_id"]`.
Reading takes every span group and `doc.ents`.
"""

from __future__ import annotations

import itertools
import re
import zlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from spacy.tokens import Doc, DocBin
from spacy.vocab import Vocab

from annotator.agreement.maths.positions import TOKEN_PATTERN

SPAN_GROUP = "sc"
ANNOTATOR = "_annotator_id"  # whose layer a document holds, as Prodigy names it
EXTENSION = "._."
WHITESPACE_RUN = re.compile(r"\s+")

SpanValues = tuple[int, int, str, Mapping[str, Any]]  # start, end, label, attributes


def _words(text: str, starts: set[int], ends: set[int]) -> tuple[list[str], list[bool]]:
    """spaCy's words and the single spaces after them for `text`, cut so that every span starts
    and ends on a token: words and symbols, and whitespace as spaCy keeps it (a single space
    after a word, other whitespace as tokens of its own), except where a span starts or ends."""
    cuts = {0, len(text)} | starts | ends
    for pattern in (TOKEN_PATTERN, WHITESPACE_RUN):
        for found in pattern.finditer(text):
            cuts.update(found.span())
    points = sorted(cuts)
    words: list[str] = []
    spaces: list[bool] = []
    for start, end in itertools.pairwise(points):
        piece = text[start:end]
        follows_word = bool(words) and not spaces[-1] and not words[-1].isspace()
        if piece == " " and follows_word and start not in starts and end not in ends:
            spaces[-1] = True
        else:
            words.append(piece)
            spaces.append(False)
    return words, spaces


class SpacyDocs:
    """Gathers documents, each with one layer of spans, into a DocBin. The vocabulary is shared
    by the documents one export writes."""

    def __init__(self) -> None:
        self.vocab = Vocab()
        self.doc_bin = DocBin(store_user_data=True)
        self.count = 0

    def add(
        self, text: str, spans: Sequence[SpanValues], meta: Mapping[str, Any], *, annotator: str | None = None
    ) -> None:
        words, spaces = _words(text, {s[0] for s in spans}, {s[1] for s in spans})
        doc = Doc(self.vocab, words=words, spaces=spaces)
        group = []
        for start, end, label, attributes in spans:
            span = doc.char_span(start, end, label=label)
            assert span is not None, "every span boundary is a token boundary"
            group.append(span)
            for name, value in attributes.items():
                doc.user_data[(EXTENSION, name, start, end)] = value  # type: ignore[index]
        doc.spans[SPAN_GROUP] = group
        doc.user_data["meta"] = dict(meta)
        if annotator is not None:
            doc.user_data[ANNOTATOR] = annotator
        self.doc_bin.add(doc)
        self.count += 1

    def take(self) -> bytes:
        """The DocBin of the documents added since the last take."""
        data = self.doc_bin.to_bytes()
        self.doc_bin = DocBin(store_user_data=True)
        self.count = 0
        return data


@dataclass
class ReadSpan:
    start: int
    end: int
    label: str
    attributes: dict[str, Any]
    where: str  # "spans.sc[2]", "ents[0]"


@dataclass
class ReadDoc:
    text: str
    spans: list[ReadSpan]
    meta: Mapping[str, Any]
    annotator: str | None


class NotADocBin(ValueError):
    pass


def _plain(value: Any) -> Any:
    """A value as JSON has it: msgpack gives arrays back as tuples."""
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    return value


class DocBinReader:
    """Reads DocBins. One vocabulary serves every file of an import: making one looks up
    spaCy's registries, which costs more than reading a small DocBin."""

    def __init__(self) -> None:
        self.vocab = Vocab()

    def read(self, data: bytes, *, max_bytes: int) -> Iterator[ReadDoc]:
        """The documents of a DocBin. NotADocBin when the bytes are not one, or unpack to more
        than `max_bytes` (spaCy would unpack them whole)."""
        try:
            unpacked = zlib.decompressobj()
            unpacked.decompress(data, max_bytes)
            if unpacked.unconsumed_tail:
                raise NotADocBin(f"unpacks to more than {max_bytes} bytes")
            docs = list(DocBin(store_user_data=True).from_bytes(data).get_docs(self.vocab))
        except NotADocBin:
            raise
        except Exception as error:  # zlib, msgpack and spaCy each raise their own
            raise NotADocBin(f"is not a spaCy DocBin ({type(error).__name__}: {error})") from error
        return (_read_doc(doc) for doc in docs)


def _read_doc(doc: Doc) -> ReadDoc:
    extensions: dict[tuple[int, int], dict[str, Any]] = {}
    for key, value in doc.user_data.items():
        if isinstance(key, tuple) and len(key) == 4 and key[0] == EXTENSION and key[2] is not None:
            extensions.setdefault((key[2], key[3]), {})[key[1]] = _plain(value)
    found = [
        (f"spans.{name}[{n}]", span) for name, group in doc.spans.items() for n, span in enumerate(group)
    ]
    found += [(f"ents[{n}]", span) for n, span in enumerate(doc.ents)]
    spans = [
        ReadSpan(start, end, span.label_, dict(extensions.get((start, end), {})), where)
        for where, span in found
        for start, end in [(span.start_char, span.end_char)]
    ]
    meta = _plain(doc.user_data.get("meta"))
    annotator = doc.user_data.get(ANNOTATOR)
    return ReadDoc(
        text=doc.text,
        spans=spans,
        meta=meta if isinstance(meta, Mapping) else {},
        annotator=annotator if isinstance(annotator, str) and annotator else None,
    )
