"""Runs a script in a fresh interpreter where Django cannot be imported, for the pure packages
(agreement, profiles, export formats) that Celery workers and scripts load without it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PRELUDE = 'import sys\nsys.modules["django"] = None  # any "import django..." now raises ImportError\n'
CODA = '\nassert not [name for name in sys.modules if name.startswith("django.")]\nprint("ok")\n'


def assert_runs_without_django(script: str) -> None:
    """`script` runs to its end with Django unimportable, and no Django module was loaded."""
    code = PRELUDE + script + CODA
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
