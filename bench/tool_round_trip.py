"""Our exports opened in the real doccano and Label Studio, and the tools' own exports kept as
the import tests' fixtures.

Each tool goes in a virtualenv of its own (they pin their own Django):

    python3.11 -m venv /tmp/label-studio && /tmp/label-studio/bin/pip install label-studio==1.23.2
    python3.11 -m venv /tmp/doccano && /tmp/doccano/bin/pip install doccano==1.8.4 "marshmallow<4" "numpy<2"
    .venv/bin/python bench/tool_round_trip.py --label-studio /tmp/label-studio/bin/label-studio \\
        --doccano /tmp/doccano/bin/doccano [--write-fixtures]

(doccano 1.8.4 breaks on marshmallow 4 and on numpy 2, which its pins allow.)

The script starts a throwaway instance of each tool (data in a temporary directory, free ports)
and, for each:
1. annotates SAMPLE (emoji, a combining mark, CRLF, right-to-left script) through the tool's
   own API as two annotators, offsets counted in UTF-16 as the tool's page counts them, and
   exports the project with the tool's own export. With --write-fixtures that file is written to
   tests/annotator/fixtures/tools/, where the import tests read it;
2. imports that export into a project of ours (a throwaway database), exports the project in
   the tool's format, imports our export into a new project of the tool through its API, exports
   that again with the tool, and imports the result into a fresh project of ours.
The spans of the two projects of ours must be equal: annotator, label, offsets, text, and the
attributes the format carries. It prints what it compared and exits non-zero where they differ.
Not a speed benchmark and not run by CI: it needs the two tools installed.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import harness
import requests

FIXTURES = harness.ROOT / "tests" / "annotator" / "fixtures" / "tools"
LABELS = ("CLAIM", "OPINION", "DISCLAIMER")
EVIDENCE = ("NAMED_SOURCE", "ANONYMOUS_SOURCE", "LINK_DOCUMENT", "DATA", "QUOTE", "NONE")
SAMPLE = [
    "Officials 🚋 said: “the cafe\u0301 is closed”.\r\nThe council said costs rose 12%.",
    "قال المجلس إن التكلفة 48 مليون 💶. Critics called it “fantasy”.",
    "𝐁old move: rents rose 9% in 2025, the mayor said.",
]
# Per annotator: (text, the span's text, label, evidence or None).
ANNOTATIONS = {
    "anna": [
        (0, "“the cafe\u0301 is closed”", "OPINION", None),
        (0, "costs rose 12%", "CLAIM", "NAMED_SOURCE"),
        (1, "48 مليون 💶", "CLAIM", "LINK_DOCUMENT"),
    ],
    "ben": [
        (0, "costs rose 12%", "CLAIM", "DATA"),
        (2, "𝐁old move", "OPINION", None),
        (2, "rents rose 9% in 2025", "CLAIM", "NAMED_SOURCE"),
    ],
}
# The throwaway instances' accounts: made afresh each run.
PASSWORD = secrets.token_urlsafe(16)


def utf16_span(text: str, needle: str) -> tuple[int, int]:
    """Where `needle` lies in `text`, in UTF-16 code units, as a browser counts."""
    start = text.index(needle)
    units = len(text[:start].encode("utf-16-le")) // 2
    return units, units + len(needle.encode("utf-16-le")) // 2


def tool_env(**extra: str) -> dict[str, str]:
    """The environment for a tool's processes: ours without the settings that name our Django
    project and database, which the tools (Django projects too) would read as theirs. They also
    run in a directory of their own: doccano's settings package is named `config`, as ours is."""
    ours = ("DJANGO_", "DATABASE_URL", "REDIS_URL")
    return {**{k: v for k, v in os.environ.items() if not k.startswith(ours)}, **extra}


def wait_for(check: Callable[[], bool], what: str, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except requests.RequestException:
            pass
        time.sleep(1)
    raise SystemExit(f"{what} did not come up within {timeout:.0f} s")


# -- Label Studio ---------------------------------------------------------------------------

LABEL_CONFIG = (
    '<View><Labels name="label" toName="text">'
    + "".join(f'<Label value="{label}"/>' for label in LABELS)
    + '</Labels><Text name="text" value="$text"/>'
    + '<Choices name="evidence" toName="text" perRegion="true">'
    + "".join(f'<Choice value="{value}"/>' for value in EVIDENCE)
    + "</Choices></View>"
)
LS_USERS = """
from users.models import User
from organizations.models import Organization
from rest_framework.authtoken.models import Token
org = Organization.objects.first()
for name, key in {keys!r}.items():
    user = User.objects.create_user(email=f"{{name}}@example.org", password={password!r}, username=name)
    org.add_user(user)
    user.active_organization = org
    user.save()
    Token.objects.filter(user=user).delete()  # the one Label Studio made, replaced by a known key
    Token.objects.create(user=user, key=key)

"""


class LabelStudio:
    def __init__(self, executable: str, home: Path) -> None:
        home.mkdir(parents=True)
        self.executable = executable
        self.port = harness.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = tool_env(LABEL_STUDIO_BASE_DATA_DIR=str(home), LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN="true")
        self.tokens = {name: secrets.token_hex(20) for name in ("admin", "anna", "ben")}
        self.log = (home / "server.log").open("wb")
        self.server = subprocess.Popen(
            [executable, "start", "--no-browser", "--host", "127.0.0.1", "--port", str(self.port),
             "--username", "admin@example.org", "--password", PASSWORD, "--user-token", self.tokens["admin"]],
            env=self.env, cwd=home, stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        wait_for(lambda: requests.get(f"{self.url}/health", timeout=5).ok, "Label Studio")
        script = LS_USERS.format(
            keys={k: v for k, v in self.tokens.items() if k != "admin"}, password=PASSWORD
        )
        subprocess.run(
            [executable, "shell"],
            input=script.encode(),
            env=self.env,
            cwd=home,
            check=True,
            capture_output=True,
        )
        self.ids = {name: self.call(name, "get", "/api/current-user/whoami")["id"] for name in self.tokens}

    def call(self, who: str, method: str, path: str, body: Any = None) -> Any:
        response = requests.request(
            method,
            self.url + path,
            json=body,
            headers={"Authorization": f"Token {self.tokens[who]}"},
            timeout=60,
        )
        if not response.ok:
            raise SystemExit(
                f"Label Studio {method.upper()} {path}: {response.status_code} {response.text[:500]}"
            )
        return response.json()

    def project(self, title: str) -> int:
        return int(
            self.call("admin", "post", "/api/projects", {"title": title, "label_config": LABEL_CONFIG})["id"]
        )

    def export(self, project: int) -> bytes:
        return json.dumps(
            self.call("admin", "get", f"/api/projects/{project}/export?exportType=JSON")
        ).encode()

    def annotated(self) -> bytes:
        """SAMPLE annotated through the API by anna and ben, as Label Studio exports it."""
        project = self.project("Made in Label Studio")
        self.call("admin", "post", f"/api/projects/{project}/import", [{"data": {"text": t}} for t in SAMPLE])
        tasks = self.call("admin", "get", f"/api/tasks?project={project}&page_size=100")["tasks"]
        task_ids = {task["data"]["text"]: task["id"] for task in tasks}
        for who, spans in ANNOTATIONS.items():
            for number, text in enumerate(SAMPLE):
                results = []
                for index, (document, needle, label, evidence) in enumerate(spans):
                    if document != number:
                        continue
                    start, end = utf16_span(text, needle)
                    place = {"start": start, "end": end}
                    region = f"{who}-{index}"
                    results.append({"id": region, "type": "labels", "from_name": "label", "to_name": "text",
                                    "value": {**place, "text": needle, "labels": [label]}})  # fmt: skip
                    if evidence:
                        results.append({"id": region, "type": "choices", "from_name": "evidence", "to_name": "text",
                                        "value": {**place, "choices": [evidence]}})  # fmt: skip
                if results:
                    self.call(who, "post", f"/api/tasks/{task_ids[text]}/annotations/", {"result": results})
        return self.export(project)

    def reimported(self, ours: bytes) -> bytes:
        """Our export imported into a new project through the API, and exported again."""
        project = self.project("Imported from the annotator")
        self.call("admin", "post", f"/api/projects/{project}/import", json.loads(ours))
        return self.export(project)

    def stop(self) -> None:
        self.server.terminate()
        self.server.wait(timeout=30)
        self.log.close()


# -- doccano --------------------------------------------------------------------------------


class Doccano:
    def __init__(self, executable: str, home: Path) -> None:
        home.mkdir(parents=True)
        self.port = harness.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = tool_env(DATABASE_URL=f"sqlite:///{home}/doccano.db", MEDIA_ROOT=str(home / "media"))

        def run(*args: str) -> None:
            done = subprocess.run([executable, *args], env=self.env, cwd=home, capture_output=True)
            if done.returncode:
                raise SystemExit(f"doccano {args[0]} failed:\n{done.stderr.decode()[-2000:]}")

        run("init")
        for name in ("admin", "anna", "ben"):
            run("createuser", "--username", name, "--password", PASSWORD)
        self.log = (home / "server.log").open("wb")
        self.processes = [
            subprocess.Popen(
                [executable, *args], env=self.env, cwd=home, stdout=self.log, stderr=subprocess.STDOUT
            )
            for args in (["webserver", "--port", str(self.port)], ["task"])
        ]
        self.tokens: dict[str, str] = {}

        def logged_in() -> bool:
            for name in ("admin", "anna", "ben"):
                response = requests.post(
                    f"{self.url}/v1/auth/login/", json={"username": name, "password": PASSWORD}, timeout=5
                )
                if not response.ok:
                    return False
                self.tokens[name] = response.json()["key"]
            return True

        wait_for(logged_in, "doccano")

    def call(self, who: str, method: str, path: str, body: Any = None, **kwargs: Any) -> requests.Response:
        response = requests.request(
            method, self.url + path, json=body, headers={"Authorization": f"Token {self.tokens[who]}"}, timeout=60,
            **kwargs,
        )  # fmt: skip
        if not response.ok:
            raise SystemExit(f"doccano {method.upper()} {path}: {response.status_code} {response.text[:500]}")
        return response

    def project(self, name: str) -> tuple[int, dict[str, int]]:
        project = self.call("admin", "post", "/v1/projects", {
            "name": name, "description": name, "project_type": "SequenceLabeling", "guideline": "",
            "resourcetype": "SequenceLabelingProject", "collaborative_annotation": False,
            "allow_overlapping": True, "use_relation": False,
        }).json()["id"]  # fmt: skip
        roles = {role["name"]: role["id"] for role in self.call("admin", "get", "/v1/roles").json()}
        for name in ("anna", "ben"):
            (user,) = [
                u for u in self.call("admin", "get", f"/v1/users?q={name}").json() if u["username"] == name
            ]
            self.call(
                "admin",
                "post",
                f"/v1/projects/{project}/members",
                {"user": user["id"], "role": roles["annotator"]},
            )
        labels = {
            label: self.call("admin", "post", f"/v1/projects/{project}/span-types",
                             {"text": label, "background_color": "#2563eb", "text_color": "#ffffff"}).json()["id"]
            for label in LABELS
        }  # fmt: skip
        return project, labels

    def _wait(self, task_id: str) -> None:
        def ready() -> bool:
            status = self.call("admin", "get", f"/v1/tasks/status/{task_id}").json()
            if status.get("error"):
                raise SystemExit(f"doccano task failed: {status['error']}")
            return bool(status.get("ready"))

        wait_for(ready, f"doccano task {task_id}", timeout=120)

    def export(self, project: int) -> bytes:
        task_id = self.call("admin", "post", f"/v1/projects/{project}/download",
                            {"format": "JSONL", "exportApproved": False}).json()["task_id"]  # fmt: skip
        self._wait(task_id)
        return self.call("admin", "get", f"/v1/projects/{project}/download?taskId={task_id}").content

    def annotated(self) -> bytes:
        """SAMPLE annotated through the API by anna and ben, as doccano exports it (a zip)."""
        project, labels = self.project("Made in doccano")
        examples = {
            text: self.call(
                "admin", "post", f"/v1/projects/{project}/examples", {"text": text, "meta": {}}
            ).json()["id"]
            for text in SAMPLE
        }
        for who, spans in ANNOTATIONS.items():
            for document, needle, label, _ in spans:
                text = SAMPLE[document]
                start, end = utf16_span(text, needle)
                self.call(who, "post", f"/v1/projects/{project}/examples/{examples[text]}/spans",
                          {"start_offset": start, "end_offset": end, "label": labels[label]})  # fmt: skip
        return self.export(project)

    def reimported(self, ours: bytes) -> bytes:
        """Our export uploaded into a new project as doccano's import page does, and exported again."""
        project, _ = self.project("Imported from the annotator")
        upload = self.call("admin", "post", "/v1/fp/process/", files={"filepond": ("ours.jsonl", ours)}).text
        task_id = self.call("admin", "post", f"/v1/projects/{project}/upload", {
            "uploadIds": [upload], "format": "JSONL", "task": "SequenceLabeling",
            "column_data": "text", "column_label": "label", "delimiter": "", "encoding": "utf_8",
        }).json()["task_id"]  # fmt: skip
        self._wait(task_id)
        return self.export(project)

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
            process.wait(timeout=30)
        self.log.close()


# -- our side -------------------------------------------------------------------------------


def our_project(name: str, *, required_attributes: bool) -> Any:
    """A project with the default schema, without its required attributes for a format that
    carries none (doccano), so its layers can arrive submitted and be exported."""
    from django.contrib.auth import get_user_model
    from django.utils.text import slugify

    from annotator.models import Role
    from annotator.projects.services import membership_set, project_create

    project = project_create(name=name, slug=slugify(name))
    if not required_attributes:
        from annotator.projects.services import project_schema_replace
        from annotator.schema import DEFAULT_ATTRIBUTES, DEFAULT_LABELS

        optional = [{**attribute, "required_for": []} for attribute in DEFAULT_ATTRIBUTES]
        project_schema_replace(project=project, labels=DEFAULT_LABELS, attributes=optional)
    for who in ANNOTATIONS:
        user, _ = get_user_model().objects.get_or_create(
            username=who, defaults={"email": f"{who}@example.org"}
        )
        membership_set(project=project, user=user, role=Role.ANNOTATOR)
    return project


def our_import(project: Any, name: str, content: bytes, format: str, annotators: dict[str, str]) -> None:
    from annotator.imports.annotations.services import AnnotationImportOptions, annotations_import
    from annotator.imports.services import ImportFile
    from annotator.models import Source

    source, _ = Source.objects.get_or_create(slug="round-trip", defaults={"name": "Round trip"})
    summary = annotations_import(
        project=project, file=ImportFile(name=name, stream=io.BytesIO(content)),
        options=AnnotationImportOptions(format=format, annotators=annotators), default_source=source,
    )  # fmt: skip
    if summary.errors:
        raise SystemExit(f"importing {name} failed:\n" + "\n".join(f"  {issue}" for issue in summary.errors))


def our_export(project: Any, format: str) -> bytes:
    from annotator.exports.services import ExportFilters, export_stream

    return b"".join(export_stream(project=project, format=format, filters=ExportFilters()).chunks)


def our_spans(project: Any, *, attributes: bool) -> set[tuple[Any, ...]]:
    from annotator.models import Span

    rows = Span.objects.filter(layer__document__project=project).select_related(
        "label", "layer__user", "layer__document"
    )
    return {
        (s.layer.document.text, s.layer.user.username, s.label.key, s.start, s.end, s.text,
         json.dumps(s.attributes, sort_keys=True) if attributes else "")
        for s in rows
    }  # fmt: skip


def round_trip(tool: Any, name: str, format: str, fixture: str, *, attributes: bool, write: bool) -> bool:
    made = tool.annotated()
    if write:
        FIXTURES.mkdir(parents=True, exist_ok=True)
        (FIXTURES / fixture).write_bytes(made)
    annotators = {"anna": "anna", "ben": "ben"}
    if isinstance(tool, LabelStudio):  # its export names annotators by id
        annotators = {str(tool.ids[who]): who for who in ("anna", "ben")}
    first = our_project(f"{name} made", required_attributes=attributes)
    our_import(first, fixture, made, format, annotators)
    expected = our_spans(first, attributes=attributes)
    back = tool.reimported(our_export(first, format))
    second = our_project(f"{name} back", required_attributes=attributes)
    if isinstance(tool, LabelStudio):
        # Label Studio took our annotations as the users of the same emails; its export names them by id.
        our_import(second, "back.json", back, format, annotators)
    else:
        # doccano took every line as the importing user's and kept our `annotator` field.
        with zipfile.ZipFile(io.BytesIO(back)) as archive:
            our_import(second, "admin.jsonl", archive.read("admin.jsonl"), format, annotators)
    found = our_spans(second, attributes=attributes)
    what = "spans (annotator, label, offsets, text" + (", attributes)" if attributes else ")")
    print(
        f"{name}: {len(expected)} {what} from its own export; after our export went through it: {len(found)}"
    )
    for missing in sorted(expected - found):
        print(f"  lost: {missing}")
    for extra in sorted(found - expected):
        print(f"  gained: {extra}")
    return expected == found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--label-studio", required=True, metavar="PATH", help="the label-studio command")
    parser.add_argument("--doccano", required=True, metavar="PATH", help="the doccano command")
    parser.add_argument(
        "--write-fixtures", action="store_true", help=f"write the tools' exports to {FIXTURES}"
    )
    args = parser.parse_args()
    url = harness.database_url("annotator_tool_round_trip", smoke=True)
    harness.throwaway_database(url)
    harness.setup_django(url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    same = True
    with tempfile.TemporaryDirectory() as home:
        studio = LabelStudio(args.label_studio, Path(home, "label-studio"))
        try:
            same &= round_trip(studio, "Label Studio 1.23.2", "label-studio", "label-studio-1.23.2.json",
                               attributes=True, write=args.write_fixtures)  # fmt: skip
        finally:
            studio.stop()
        doccano = Doccano(args.doccano, Path(home, "doccano"))
        try:
            same &= round_trip(doccano, "doccano 1.8.4", "doccano", "doccano-1.8.4.zip",
                               attributes=False, write=args.write_fixtures)  # fmt: skip
        finally:
            doccano.stop()
    if not same:
        sys.exit(1)


if __name__ == "__main__":
    main()
