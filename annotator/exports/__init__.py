"""Labelled-data exporters: rows -> formatter -> writer, one Formatter class per format,
registered by name (see formats.py and tool_formats.py). The selector and service in annotator.exports.services feed them
from the database; nothing in this package touches it."""

from annotator.exports import formats as formats  # registers the formats
from annotator.exports import tool_formats as tool_formats  # registers the other tools' formats
from annotator.exports.base import (
    BASES,
    FORMATTERS,
    Basis,
    ExportContext,
    ExportDocument,
    ExportLayer,
    ExportSpan,
    Formatter,
    formatter_for,
    register,
)
from annotator.exports.writers import encode_chunks, write_chunks

__all__ = [
    "BASES",
    "FORMATTERS",
    "Basis",
    "ExportContext",
    "ExportDocument",
    "ExportLayer",
    "ExportSpan",
    "Formatter",
    "encode_chunks",
    "formatter_for",
    "register",
    "write_chunks",
]
