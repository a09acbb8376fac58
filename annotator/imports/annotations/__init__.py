"""Annotation import: other tools' exports (formats.py, pure) read into documents and layers
(services.py)."""
