"""Inter-annotator agreement: the statistics in maths/ (pure numpy, no Django), kept current
per document and per project by services.py from what selectors.py reads."""
