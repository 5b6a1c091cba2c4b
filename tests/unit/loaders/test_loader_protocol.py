"""The Loader protocol: what each loader claims, the files it depends on, the values it
makes secret, and a loader registered from outside being asked."""

from __future__ import annotations

import base64
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from compliance.inputs import (
    LoadOptions,
    compose,
    dockerfile,
    k8s,
    loading,
    registry,
    securityconfig,
    terraform,
)
from compliance.inputs.base import FileContext, FileLoad
from compliance.inputs.yamlutil import Document
from compliance.model import Resource
from compliance.model.notes import Skipped

OPTS = LoadOptions(env={})

CLAIMS: dict[str, set[str]] = {
    "Dockerfile": {"dockerfile"},
    "api.Dockerfile": {"dockerfile"},
    "Dockerfile.prod": {"dockerfile"},
    "build.dockerfile": {"dockerfile"},
    "compose.yaml": {"compose", "yaml"},
    "docker-compose.override.yml": {"compose", "yaml"},
    "compose.json": {"yaml"},
    "main.tf": {"terraform"},
    "MAIN.TF": {"terraform"},
    "node.toml": {"securityconfig"},
    "deploy.YAML": {"yaml"},
    "app.yml": {"yaml"},
    "plan.json": {"yaml"},
    "README.md": set(),
    "main.tf.bak": set(),
    "Makefile": set(),
    "dockerfile.md": set(),
    "values.toml.j2": set(),
}
"""File name -> the kinds of the loaders that claim it."""


@pytest.mark.parametrize(("name", "kinds"), CLAIMS.items())
def test_each_file_loader_claims_its_names_and_nothing_else(name: str, kinds: set[str]) -> None:
    assert {loader.kind for loader in registry.LOADERS if loader.claims(name)} == kinds
    # the first to claim it wins: compose before YAML
    first = next((loader.kind for loader in registry.LOADERS if loader.claims(name)), None)
    assert registry.kind_by_name(name) == first
    assert first == ("compose" if "compose" in kinds else next(iter(kinds), None))


DOCUMENTS: list[tuple[Any, set[str]]] = [
    ({"apiVersion": "v1", "kind": "Pod"}, {"k8s"}),
    ({"apiVersion": "v1", "kind": "Pod", "security": {}}, {"k8s", "securityconfig"}),
    ({"security": {"tls_config": {}}}, {"securityconfig"}),
    ({"security": "on"}, set()),
    ({"apiVersion": "v1"}, set()),
    ({"kind": "Pod"}, set()),
    (["apiVersion", "kind"], set()),
    ("security", set()),
    (None, set()),
]


@pytest.mark.parametrize(("value", "formats"), DOCUMENTS)
def test_each_document_loader_claims_by_content(value: Any, formats: set[str]) -> None:
    claimed = {d.format for d in registry.DOCUMENT_LOADERS if d.claims_document(value)}
    assert claimed == formats


def test_formats_are_the_loaders_formats() -> None:
    loaders = {id(x): x for x in [*registry.LOADERS, *registry.DOCUMENT_LOADERS]}.values()
    owned = [f for loader in loaders for f in loader.formats]
    assert set(registry.FORMATS) == set(owned)
    assert sorted(owned) == sorted(set(owned)), "each format has one loader"


def _load(folder: str) -> list[Resource]:
    result = loading.load_paths([folder], OPTS)
    assert result.errors == []
    return result.resources


def test_dependencies_per_loader(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Compose: the project .env (read or not) and each env_file read; SecurityConfig: its
    certificate when inside the root (missing or not); the others: none."""
    monkeypatch.chdir(tmp_path)
    app = tmp_path / "app"
    app.mkdir()
    (app / "compose.yaml").write_text(
        "services:\n"
        "  web:\n    image: nginx:1\n    env_file: [web.env, ../outside.env]\n"
        "  db:\n    image: postgres:16\n    env_file: db.env\n"
    )
    (app / "web.env").write_text("A=1\n")
    (app / "node.toml").write_text('[security.tls_config]\ncert_file = "certs/node.pem"\n')
    (app / "other.yaml").write_text('security:\n  tls_config:\n    cert_file: "../../x.pem"\n')
    (app / "Dockerfile").write_text("FROM alpine:3\n")
    (app / "main.tf").write_text('variable "x" {}\n')
    (app / "k.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n")
    by_file: dict[str, list[Resource]] = {}
    for r in _load("app"):
        by_file.setdefault(r.source.file, []).append(r)
    deps = {rel: registry.dependencies(rel, rs) for rel, rs in by_file.items()}
    assert deps == {
        # db.env is missing (still a dependency: creating it changes the load)
        "app/compose.yaml": [Path("app/.env"), Path("app/web.env"), Path("app/db.env")],
        "app/node.toml": [Path("app/certs/node.pem")],
        "app/other.yaml": [],  # its cert_file lies outside the scanned root: never read
        "app/Dockerfile": [],
        "app/main.tf": [],
        "app/k.yaml": [],
    }
    service = by_file["app/compose.yaml"][0]
    assert list(compose.LOADER.dependencies(service)) == [".env", "web.env"]


def _values(loader: Any, resources: Iterable[Resource]) -> set[str]:
    values: set[str] = set()
    for r in resources:
        loader.secret_values(r, values)
    return values


def test_secret_values_per_loader(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What each format makes secret, apart from what the shared walk of a body finds."""
    monkeypatch.chdir(tmp_path)
    encoded = base64.b64encode(b"line-one\nline-two").decode()
    (tmp_path / "s.yaml").write_text(
        "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\n"
        f"data: {{blob: {encoded}}}\nstringData: {{plain: swordfish-9}}\n"
        "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {plain: not-a-secret}\n"
    )
    (tmp_path / "vars.tf").write_text(
        'variable "db_password" {\n  default = "hunter2-hunter2"\n}\n'
        'variable "token" {\n  sensitive = true\n  default = { a = "tk-1", b = "${var.x}" }\n}\n'
        'variable "region" {\n  default = "eu-west-1"\n}\n'
    )
    (tmp_path / "Dockerfile").write_text("FROM alpine:3\nENV API_TOKEN=abc123xyz LEVEL=debug\n")
    (tmp_path / "compose.yaml").write_text(
        "services:\n  web:\n    image: nginx:1\n"
        "    environment: [DB_PASSWORD=pw-compose-1, MODE=prod]\n"
    )
    (tmp_path / "node.toml").write_text('[security.tls_config]\nmin_version = "1.2"\n')
    by_format: dict[str, list[Resource]] = {}
    for r in _load("."):
        by_format.setdefault(r.source.format, []).append(r)
    assert _values(k8s.LOADER, by_format["k8s"]) == {
        encoded,
        "line-one\nline-two",
        "line-one",
        "line-two",
        "swordfish-9",
    }
    assert _values(terraform.LOADER, by_format["terraform"]) == {"hunter2-hunter2", "tk-1"}
    assert _values(dockerfile.LOADER, by_format["dockerfile"]) == {"abc123xyz"}
    assert _values(compose.LOADER, by_format["compose"]) == {"pw-compose-1"}
    assert _values(securityconfig.LOADER, by_format["securityconfig"]) == set()
    everything = set().union(
        *registry.collect_secrets(r for rs in by_format.values() for r in rs).values()
    )
    assert {"swordfish-9", "hunter2-hunter2", "abc123xyz", "pw-compose-1"} <= everything
    assert not {"not-a-secret", "eu-west-1", "debug", "prod", "1.2"} & everything


class PodLines:
    """A loader from outside: ``*.pods`` files, one Pod per line (``name image``)."""

    kind = "pods"
    formats: Mapping[str, str] = {}

    def __init__(self) -> None:
        self.asked: list[str] = []

    def claims(self, name: str) -> bool:
        self.asked.append(name)
        return name.endswith((".pods", ".special.yaml"))

    def load(self, text: str, ctx: FileContext, *, explicit: bool) -> FileLoad:
        out = FileLoad(format="k8s")
        for number, line in enumerate(text.splitlines(), start=1):
            name, image = line.split()
            body = {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": name},
                "spec": {"containers": [{"name": name, "image": image}]},
            }
            out.resources.append(
                ctx.resource(
                    id=f"k8s:v1/Pod:{name}",
                    kind="Pod",
                    name=name,
                    format="k8s",
                    line=number,
                    body=body,
                )
            )
        return out

    def dependencies(self, resource: Resource) -> Iterable[str]:
        return ()

    def secret_values(self, resource: Resource, values: set[str]) -> None:
        return None


@pytest.fixture
def pods() -> Iterator[PodLines]:
    loader = PodLines()
    registry.register(loader)
    yield loader
    registry.unregister(loader)
    assert registry.kind_by_name("a.pods") is None


def test_a_registered_loader_is_asked_first(
    pods: PodLines, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "web.pods").write_text("web nginx:1\napi api:2\n")
    (tmp_path / "in" / "x.special.yaml").write_text("one busybox:1\n")  # not YAML objects
    (tmp_path / "in" / "notes.txt").write_text("web nginx:1\n")
    result = loading.load_paths(["in"], OPTS)
    assert result.errors == []
    assert [(r.id, r.source.file, r.source.line) for r in result.resources] == [
        ("k8s:v1/Pod:web", "in/web.pods", 1),
        ("k8s:v1/Pod:api", "in/web.pods", 2),
        ("k8s:v1/Pod:one", "in/x.special.yaml", 1),
    ]
    assert [(i.file, i.format, i.resources) for i in result.inputs] == [
        ("in/web.pods", "k8s", 2),
        ("in/x.special.yaml", "k8s", 1),
    ]
    assert result.skipped == [Skipped("in/notes.txt", "not a recognised input kind")]
    assert "web.pods" in pods.asked
    assert registry.kind_by_name("x.special.yaml") == "pods"


class Sidecars:
    """A document loader from outside: ``sidecar:`` documents, as compose services, which
    depend on the file their ``env`` names and whose ``secret`` is secret."""

    format = "compose"
    formats: Mapping[str, str] = {"compose": "sidecar documents"}

    def claims_document(self, value: Any) -> bool:
        return isinstance(value, dict) and isinstance(value.get("sidecar"), dict)

    def load_document(self, doc: Document, ctx: FileContext) -> list[Resource]:
        body = doc.value["sidecar"]
        return [
            ctx.resource(
                id=f"compose:{ctx.rel}#{body['name']}",
                kind="ComposeService",
                name=body["name"],
                format="compose",
                line=doc.line,
                body=body,
            )
        ]

    def dependencies(self, resource: Resource) -> Iterable[str]:
        return [resource.body["env"]]

    def secret_values(self, resource: Resource, values: set[str]) -> None:
        values.add(resource.body["secret"])


def test_a_registered_document_loader_answers_for_its_format(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "side.yaml").write_text(
        "sidecar: {name: proxy, env: proxy.env, secret: opaque-1}\n"
    )
    loader = Sidecars()
    registry.register_document(loader)
    try:
        result = loading.load_paths(["side.yaml"], OPTS)
        assert result.errors == []
        assert [(r.kind, r.name) for r in result.resources] == [("ComposeService", "proxy")]
        assert [i.format for i in result.inputs] == ["compose"]
        assert result.secrets == {"side.yaml": {"opaque-1"}}
        assert registry.dependencies("side.yaml", result.resources) == [Path("proxy.env")]
        assert registry.FORMATS["compose"] == "sidecar documents"
    finally:
        registry.unregister(loader)
    assert registry.FORMATS["compose"] == compose.LOADER.formats["compose"]
    again = loading.load_paths(["side.yaml"], OPTS)
    assert again.resources == [] and len(again.errors) == 1  # no loader claims it now


def test_files_are_parsed_through_the_mapper_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """load_paths parses in other processes only through the mapper its caller passes (it
    imports no process pool); the result is the same as without one."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(loading, "PARALLEL_MIN_BYTES", 0)
    for i in range(3):
        (tmp_path / f"cm{i}.yaml").write_text(
            f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c{i}}}\ndata: {{password: pw-{i}}}\n"
        )
    (tmp_path / "Dockerfile").write_text("FROM alpine:3\n")
    calls: list[int] = []

    def in_order(fn: Any, args: Any) -> list[Any]:
        calls.append(len(args))
        return [fn(*a) for a in args]

    alone = loading.load_paths(["."], OPTS)
    mapped = loading.load_paths(["."], OPTS, map_files=in_order)
    assert calls == [4]
    assert [r.to_row() for r in mapped.resources] == [r.to_row() for r in alone.resources]
    assert mapped.inputs == alone.inputs and mapped.secrets == alone.secrets
    assert set().union(*mapped.secrets.values()) == {"pw-0", "pw-1", "pw-2"}


def test_loading_imports_no_process_pool() -> None:
    import subprocess
    import sys

    code = (
        "import sys, compliance.inputs.loading; "
        "print(sorted(m for m in sys.modules if m.startswith('compliance.evaluation')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
