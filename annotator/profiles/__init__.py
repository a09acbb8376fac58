"""Per-source profiles: the figures in maths/ (pure numpy, no Django), computed and kept current
by services.py from what selectors.py reads."""
