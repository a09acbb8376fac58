"""The pieces every export format shares: the rows a selector yields (ExportDocument with its
ExportLayers of ExportSpans), what a whole export is about (ExportContext), and the Formatter
class each format implements, with its registry.

Exporters are rows -> formatter -> writer: annotator.exports.services reads the database a page at a
time and yields one ExportDocument per document; a Formatter turns each into pieces of text;
`writers.write_chunks` encodes the pieces into byte chunks of a bounded size for a streaming
response. Nothing here touches the database.

Offsets are Unicode code points, half-open [start, end), exactly as stored.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Literal, NamedTuple

Basis = Literal["all", "consensus", "model", "gold"]
BASES: tuple[Basis, ...] = ("all", "consensus", "model", "gold")


class ExportSpan(NamedTuple):
    """A named tuple rather than a frozen dataclass: an export makes one per span, and a
    frozen dataclass takes twice as long to build."""

    label: str
    start: int
    end: int
    text: str
    attributes: Mapping[str, Any]
    model_version: int | None = None  # the suggestion model whose suggestion made it


@dataclass(frozen=True, slots=True)
class ExportLayer:
    """One layer of a document: an annotator's (`name` is the username) or the consensus, model
    or gold layer (`name` is the basis). `annotators` names the layers behind it: the annotator
    themself, the submitted layers that voted for the consensus, the gold layer's reviewer.
    `answers` are its answers to the article questions (on consensus and model, the answers
    the layers agree on: questions.rules.consensus_answer)."""

    name: str
    spans: Sequence[ExportSpan]
    annotators: tuple[str, ...] = ()
    email: str = ""  # the annotator's, on basis all, for formats that name people by email
    answers: Mapping[str, Any] = field(default_factory=dict)  # article question key -> answer


@dataclass(frozen=True, slots=True)
class ExportDocument:
    document_id: int
    external_id: str
    title: str
    url: str
    source: str  # the source's slug
    published_at: datetime | None
    text: str
    layers: Sequence[ExportLayer]


@dataclass(frozen=True)
class ExportContext:
    """What every document of one export shares: the basis, and the project's attribute and
    article question keys in schema order (the CSV columns)."""

    basis: Basis = "all"
    attribute_keys: tuple[str, ...] = field(default_factory=tuple)
    question_keys: tuple[str, ...] = field(default_factory=tuple)  # the article questions, in order

    @property
    def owner_field(self) -> str:
        """The name of the field that says whose span it is: `annotator` (a username) for basis
        all, else `basis` (consensus, model or gold)."""
        return "annotator" if self.basis == "all" else "basis"


class Formatter(ABC):
    """One export format: `begin` yields what comes before the first document (a header row),
    `document` the text of one document. Pieces are str; the writer encodes them as UTF-8."""

    name: ClassVar[str]
    content_type: ClassVar[str]
    extension: ClassVar[str]
    charset: ClassVar[str | None] = "utf-8"  # of the text; None for binary content

    def __init__(self, context: ExportContext) -> None:
        self.context = context

    def begin(self) -> Iterator[str]:
        return iter(())

    def end(self) -> Iterator[str]:
        """What comes after the last document (the close of a JSON array)."""
        return iter(())

    @abstractmethod
    def document(self, document: ExportDocument) -> Iterator[str]: ...


class ArchiveFormatter(Formatter):
    """A format of several files, as tools that read one document (or one batch of documents)
    per file need: sent as a zip archive. `files` yields the files a document adds, each as
    its path in the archive and its content; `last_files` those that come after the last
    document (a batch not yet full)."""

    content_type = "application/zip"
    extension = "zip"
    charset = None

    @abstractmethod
    def files(self, document: ExportDocument) -> Iterator[tuple[str, str | bytes]]: ...

    def last_files(self) -> Iterator[tuple[str, str | bytes]]:
        return iter(())

    def document(self, document: ExportDocument) -> Iterator[str]:
        raise TypeError(f"{self.name} is an archive of files: write it with writers.write_chunks")


FORMATTERS: dict[str, type[Formatter]] = {}


def register(cls: type[Formatter]) -> type[Formatter]:
    """Class decorator: make a format available under its name."""
    FORMATTERS[cls.name] = cls
    return cls


def formatter_for(name: str, context: ExportContext) -> Formatter:
    """The formatter registered as `name`; KeyError for an unknown name."""
    return FORMATTERS[name](context)
