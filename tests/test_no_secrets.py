"""No secret in the repository: every file git tracks is searched for private keys, cloud and
service tokens, Django secret keys and password-like literals. The few fake values the tests
and examples need are allowed one by one below, each with its reason."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

RULES = {
    "private key": re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"),
    "AWS access key id": re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA)[0-9A-Z]{16}\b"),
    "AWS secret access key": re.compile(
        r"(?i)aws.{0,20}?(?:secret|key).{0,20}?[\"'=:\s]([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])"
    ),
    "GitHub token": re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,})\b"),
    "Slack token": re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"),
    "Google API key": re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"),
    "Stripe live key": re.compile(r"\b[rs]k_live_[0-9A-Za-z]{16,}"),
    "JSON web token": re.compile(r"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}"),
    # A DRF token in a header or a URL with credentials.
    "API token": re.compile(r"(?i)\b(?:Token|Bearer)\s+[0-9a-f]{40}\b"),
    "URL with a password": re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s:/@${}]+:[^\s@/${}]{6,}@"),
    "Django secret key": re.compile(r"(?i)\bDJANGO_SECRET_KEY\b[\"']?\s*[=:]\s*[\"']?([^\s\"'$]{8,})"),
    "secret key literal": re.compile(r"\bSECRET_KEY\s*=\s*[\"'][^\"']{8,}[\"']"),
    "password literal": re.compile(
        r"(?i)\b\w*(?:password|passwd|secret|api_?key|auth_?token|access_?token)\w*[\"']?\s*[:=]\s*"
        r"[\"']([^\"'\s]{8,})[\"']"
    ),
}

# Files whose name says they hold a secret never belong in git.
SECRET_FILE_NAMES = re.compile(
    r"(?:^|/)(?:\.env|id_rsa|id_dsa|id_ecdsa|id_ed25519|secret_key|credentials\.json|\.netrc|\.pgpass)$"
    r"|\.(?:pem|key|p12|pfx|jks|keystore)$"
)

# (path, the text that makes the line fine, why). A finding is allowed when its line in that
# file contains the text: anything else on other lines or in other files still fails.
ALLOWED = [
    ("tests/factories.py", 'DEFAULT_PASSWORD = "correct-horse-battery-staple"', "the test users' password"),
    ("tests/", "correct-horse-battery-staple", "the same test password, written out in API tests"),
    ("tests/", "password123", "the common password the validator tests expect to be refused"),
    ("tests/", "a-long-random-value-only-for-this-test-", "a throwaway key for the settings tests"),
    ("tests/test_no_secrets.py", "", "this file: its rules and examples look like secrets on purpose"),
    (
        "bench/ui_render.py",
        'password = "bench-ui-password"',
        "an account in the benchmark's throwaway database",
    ),
    (".env.example", "DJANGO_SECRET_KEY=change-me-to-a-long-random-string", "a placeholder to replace"),
    ("Dockerfile", "DJANGO_SECRET_KEY=collectstatic-only", "collectstatic needs some key; it signs nothing"),
]


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    rule: str
    text: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.rule}: {self.text.strip()[:160]}"


def _allowed(finding: Finding) -> bool:
    return any(
        (finding.path == path or (path.endswith("/") and finding.path.startswith(path)))
        and text in finding.text
        for path, text, _ in ALLOWED
    )


def scan(paths: list[str]) -> list[Finding]:
    findings = []
    for path in paths:
        if SECRET_FILE_NAMES.search(path):
            findings.append(Finding(path, 0, "file that holds a secret", path))
        file = ROOT / path
        if not file.is_file() or file.stat().st_size > 5 * 1024 * 1024:
            continue
        data = file.read_bytes()
        if b"\x00" in data[:8192]:
            continue  # binary
        for number, line in enumerate(data.decode("utf-8", errors="replace").splitlines(), start=1):
            for rule, pattern in RULES.items():
                if pattern.search(line):
                    findings.append(Finding(path, number, rule, line))
    return [finding for finding in findings if not _allowed(finding)]


def tracked_files() -> list[str]:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    listing = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True, timeout=60
    ).stdout.decode()
    return [path for path in listing.split("\0") if path]


def test_no_tracked_file_holds_a_secret():
    files = tracked_files()
    assert len(files) > 50, "git ls-files found too few files to be this repository"
    findings = scan(files)
    assert not findings, "possible secrets in tracked files:\n" + "\n".join(map(str, findings))


@pytest.mark.parametrize(
    ("line", "rule"),
    [
        ("-----BEGIN RSA PRIVATE KEY-----", "private key"),
        ("-----BEGIN OPENSSH PRIVATE KEY-----", "private key"),
        ("aws_access_key_id = AKIAIOSFODNN7EXAMPLE", "AWS access key id"),
        ("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "AWS secret access key"),
        ("token: ghp_" + "a" * 36, "GitHub token"),
        ("Authorization: Token " + "0123456789abcdef" * 2 + "01234567", "API token"),
        ("DATABASE_URL=postgres://annotator:hunter2hunter2@db:5432/x", "URL with a password"),
        ("DJANGO_SECRET_KEY=9f8e7d6c5b4a3f2e1d0c", "Django secret key"),
        ('SECRET_KEY = "django-insecure-abcdefghijklmnop"', "secret key literal"),
        ('DB_PASSWORD = "s3cr3t-v4lue"', "password literal"),
        ('"api_key": "abcd1234efgh5678"', "password literal"),
    ],
)
def test_the_rules_catch_each_kind_of_secret(line, rule):
    assert RULES[rule].search(line)


@pytest.mark.parametrize(
    "line",
    [
        "DJANGO_SECRET_KEY: ${DJANGO_SECRET_KEY:?set DJANGO_SECRET_KEY (see .env.example)}",
        'SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="") or _development_secret_key()',
        'client.post("/api/v1/auth/token/", {"username": "scripter", "password": "nope"})',
        "password = forms.CharField(widget=forms.PasswordInput)",
        "DATABASE_URL=postgres://postgres@127.0.0.1:5432/annotator",
        "postgres://${POSTGRES_USER:-annotator}:${POSTGRES_PASSWORD:?set it}@postgres:5432/x",
    ],
)
def test_the_rules_leave_ordinary_code_alone(line):
    assert not [rule for rule, pattern in RULES.items() if pattern.search(line)]


def test_a_secret_file_name_is_caught_and_the_allow_list_is_narrow(tmp_path):
    assert SECRET_FILE_NAMES.search(".env") and SECRET_FILE_NAMES.search("deploy/server.pem")
    assert not SECRET_FILE_NAMES.search(".env.example")
    # The test password is allowed in tests/, not in application code.
    outside = Finding(
        "annotator/settings_local.py", 1, "password literal", 'PASSWORD = "correct-horse-battery-staple"'
    )
    inside = Finding(
        "tests/api/test_x.py", 1, "password literal", '"password": "correct-horse-battery-staple"'
    )
    assert not _allowed(outside)
    assert _allowed(inside)
