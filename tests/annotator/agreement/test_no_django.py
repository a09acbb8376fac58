"""The agreement package must import and work where Django is absent (Celery workers, scripts)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

SCRIPT = """
import sys
sys.modules["django"] = None  # any "import django..." now raises ImportError
import annotator.agreement.maths as agreement
from annotator.agreement.maths import alpha, attributes, bootstrap, kappa, positions, spans, stats, unitizing
assert agreement.alpha([[0, 1, 1], [0, 1, 0]]).value is not None
assert not [name for name in sys.modules if name.startswith("django.")]
print("ok")
"""


def test_imports_without_django():
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
