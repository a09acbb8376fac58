"""Document importers: reader -> parser -> rows, one Parser class per format, registered by
file extension (see formats.py). The service annotator.imports.services drives them."""

from annotator.imports import formats as formats  # registers the formats
from annotator.imports.base import (
    PARSERS,
    FileRefused,
    ImportIssue,
    ImportLimits,
    Parser,
    Record,
    extension_of,
    parser_for,
    register,
)
from annotator.imports.rows import DocumentRow, SourceSpec, normalize_text, row_from_record, text_sha256

__all__ = [
    "PARSERS",
    "DocumentRow",
    "FileRefused",
    "ImportIssue",
    "ImportLimits",
    "Parser",
    "Record",
    "SourceSpec",
    "extension_of",
    "normalize_text",
    "parser_for",
    "register",
    "row_from_record",
    "text_sha256",
]
