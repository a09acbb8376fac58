"""config.wsgi loads every view before the first request and settles the garbage collector."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = (
    "import gc, json, sys; import config.wsgi; "
    "print(json.dumps({'threshold': gc.get_threshold(), 'frozen': gc.get_freeze_count(), "
    "'views_loaded': 'api.views' in sys.modules and 'frontend.views' in sys.modules}))"
)


def test_the_wsgi_module_loads_the_views_and_freezes_what_it_loaded():
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    probe = json.loads(result.stdout.strip().splitlines()[-1])
    assert probe["threshold"] == [50_000, 20, 100]
    assert probe["frozen"] > 10_000  # Django, DRF and the project's modules
    assert probe["views_loaded"] is True
