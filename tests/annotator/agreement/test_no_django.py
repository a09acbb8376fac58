"""The agreement package must import and work where Django is absent (Celery workers, scripts)."""

from tests.without_django import assert_runs_without_django

SCRIPT = """
import annotator.agreement.maths as agreement
from annotator.agreement.maths import alpha, attributes, bootstrap, kappa, positions, spans, stats, unitizing
assert agreement.alpha([[0, 1, 1], [0, 1, 0]]).value is not None
"""


def test_imports_without_django():
    assert_runs_without_django(SCRIPT)
