"""Seeds and strategies for the fuzz harnesses: the repository's own fixture inputs,
mutations of them, generated documents of every input format, and planted secrets."""

from __future__ import annotations

import string
from pathlib import Path

from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]
SEED_DIRS = [
    ROOT / "tests" / "fixtures" / "loaders",
    ROOT / "examples" / "bpi",
    ROOT / "tests" / "packs" / "cases",
]
MAX_SEED_BYTES = 16 * 1024


def _seeds() -> list[tuple[str, bytes]]:
    """(file name, bytes) of every small fixture input (names keep what selects a loader)."""
    out = []
    for root in SEED_DIRS:
        for path in sorted(root.rglob("*")):
            if path.is_file() and path.stat().st_size <= MAX_SEED_BYTES and path.suffix != ".pem":
                if path.name == "expected.yaml":
                    continue
                out.append((path.name, path.read_bytes()))
    return out


SEEDS = _seeds()
NAMES = sorted(
    {name for name, _ in SEEDS}
    | {"x.yaml", "x.json", "x.toml", "main.tf", "Dockerfile", "compose.yaml"}
)

# ---------------------------------------------------------------- mutations


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, bytes]:
    """A fixture input with a few byte-level edits: flips, inserts of odd text (non-ASCII,
    surrogates as UTF-8 escapes, control characters, deep nesting, huge numbers), deletes,
    duplicated or swapped lines."""
    name, data = draw(st.sampled_from(SEEDS))
    out = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["flip", "insert", "delete", "dup-line", "odd"]))
        at = draw(st.integers(0, len(out)))
        if op == "flip" and out:
            i = min(at, len(out) - 1)
            out[i] = draw(st.integers(0, 255))
        elif op == "insert":
            out[at:at] = draw(st.binary(min_size=1, max_size=12))
        elif op == "delete":
            del out[at : at + draw(st.integers(1, 40))]
        elif op == "dup-line":
            lines = bytes(out).split(b"\n")
            i = draw(st.integers(0, max(len(lines) - 1, 0)))
            lines.insert(i, lines[i] if lines else b"")
            out = bytearray(b"\n".join(lines))
        else:
            out[at:at] = draw(st.sampled_from(ODD)).encode("utf-8", "surrogatepass")
    rename = draw(st.booleans()) and draw(st.integers(0, 9)) == 0
    return (draw(st.sampled_from(NAMES)) if rename else name), bytes(out)


ODD = [
    "é",
    "\u2028",
    "\ufeff",
    "\ud800",
    '"\\ud800"',
    "18446744073709551616",
    "\x00",
    "\x1b[31m",
    "9" * 400,
    "[" * 300,
    "{" * 300,
    "&a [*a, *a]",
    "!!python/object:os.system",
    "<<: *x",
    "- =",
    "? complex\n: key",
    '"""',
    "'''",
    "<<EOF\n",
    "${",
    "\\",
    "\t",
    "\r\n",
    "ſecret: ſ",
]

# ---------------------------------------------------------------- planted secrets

_ALNUM = string.ascii_letters + string.digits


@st.composite
def planted_value(draw: st.DrawFn) -> str:
    """A distinctive secret value: found only where it was planted."""
    return "Pv" + draw(st.text(_ALNUM, min_size=10, max_size=20)) + "Q7"


@st.composite
def shaped_value(draw: st.DrawFn) -> str:
    """A value in a known credential shape."""
    kind = draw(st.sampled_from(["aws", "github", "slack", "url"]))
    if kind == "aws":
        return "AKIA" + draw(
            st.text(string.ascii_uppercase + string.digits, min_size=16, max_size=16)
        )
    if kind == "github":
        return "ghp_" + draw(st.text(_ALNUM, min_size=36, max_size=36))
    if kind == "slack":
        return "xoxb-" + draw(st.text(_ALNUM, min_size=12, max_size=24))
    return "Pu" + draw(st.text(_ALNUM, min_size=10, max_size=16)) + "Z3"


SECRET_NAMES = [
    "DB_PASSWORD",
    "API_TOKEN",
    "client_secret",
    "SIGNING_KEY",
    "admin_token",
    "aws_secret_access_key",
]


def k8s_with(name: str, value: str, style: str) -> str:
    """A Deployment whose env holds ``value`` under ``name`` in a YAML scalar ``style``."""
    rendered = render_yaml_scalar(value, style, indent=16)
    return (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\n"
        "spec:\n  template:\n    spec:\n      containers:\n        - name: web\n"
        "          image: shop/web:1.0.0\n          env:\n"
        f"            - name: {name}\n              value: {rendered}\n"
        "            - name: LOG_LEVEL\n              value: info\n"
    )


def configmap_with(name: str, value: str, style: str) -> str:
    rendered = render_yaml_scalar(value, style, indent=4)
    return (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n  namespace: shop\n"
        f"data:\n  {name}: {rendered}\n  mode: strict\n"
    )


def compose_with(name: str, value: str, style: str) -> str:
    rendered = render_yaml_scalar(value, style, indent=8)
    return (
        "services:\n  api:\n    image: shop/api:1.0.0\n    environment:\n"
        f"      {name}: {rendered}\n      MODE: strict\n"
    )


def render_yaml_scalar(value: str, style: str, indent: int) -> str:
    pad = " " * indent
    if style == "double":
        return f'"{value}"'
    if style == "single":
        return f"'{value}'"
    if style == "block":
        return f"|\n{pad}{value}\n{pad}second-line-{value[::-1]}"
    if style == "folded":
        return f">-\n{pad}{value}\n{pad}{value[::-1]}"
    if style == "continued":
        return f"{value}\n{pad}{value[::-1]}"
    return value


def toml_with(name: str, value: str, style: str) -> str:
    if style == "block":
        body = f'"""\n{value}\n{value[::-1]}"""'
    elif style == "single":
        body = f"'''\n{value}\n'''"
    else:
        body = f'"{value}"'
    return f'[node]\n{name.lower()} = {body}\nmode = "strict"\n\n[security.tls_config]\nenabled = true\n'


def dockerfile_with(name: str, value: str, style: str) -> str:
    """``ENV`` in the legacy (``single``) or ``=`` form; ``block`` and ``folded`` continue
    the value on the next line (quoted, or joined without a space)."""
    head = f"FROM python:3.12-slim\nENV {name.upper()}"
    if style == "block":
        return f'{head}="{value} \\\n    {value[::-1]}" \\\n    MODE=strict\nUSER 10001\n'
    if style == "folded":
        return f"{head}={value}\\\n{value[::-1]}\nUSER 10001\n"
    sep = " " if style == "single" else "="
    return f"{head}{sep}{value}\nUSER 10001\n"


def terraform_with(name: str, value: str, style: str) -> str:
    if style == "block":
        return f'resource "aws_secretsmanager_secret_version" "v" {{\n  secret_string = <<EOT\n{value}\nEOT\n}}\n'
    return f'variable "{name.lower()}" {{\n  type      = string\n  sensitive = true\n  default   = "{value}"\n}}\n'


def secret_with(name: str, value: str, style: str) -> str:
    """A Kubernetes Secret (its data base64) applied with kubectl: the last-applied
    annotation repeats it as JSON."""
    import base64
    import json

    encoded = base64.b64encode(value.encode()).decode()
    data = {"data": {name: encoded}} if style != "single" else {"stringData": {name: value}}
    applied = json.dumps({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, **data})
    field, inner = next(iter(data.items()))
    return (
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  namespace: shop\n  annotations:\n"
        f"    kubectl.kubernetes.io/last-applied-configuration: |\n      {applied}\n"
        f"{field}:\n  {name}: {inner[name]}\n"
    )


def compose_list_with(name: str, value: str, style: str) -> str:
    quote = '"' if style == "double" else ""
    return (
        "services:\n  api:\n    image: shop/api:1.0.0\n    environment:\n"
        f"      - {quote}{name.upper()}={value}{quote}\n      - MODE=strict\n"
    )


def k8s_json_with(name: str, value: str, style: str) -> str:
    """A Deployment as JSON (``kubectl get -o json``); style ``single`` spells the value's
    first character as a ``\\u`` escape."""
    import json

    doc = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {
            "template": {
                "spec": {
                    "containers": [
                        {
                            "name": "web",
                            "image": "shop/web:1.0.0",
                            "env": [{"name": name, "value": value}, {"name": "MODE", "value": "x"}],
                        }
                    ]
                }
            }
        },
    }
    text = json.dumps(doc, indent=2)
    if style == "single":
        escaped = f"\\u{ord(value[0]):04x}{value[1:]}"
        text = text.replace(f'"{value}"', f'"{escaped}"')
    return text + "\n"


PLANTERS = {
    "deploy.json": k8s_json_with,
    "secret.yaml": secret_with,
    "docker-compose.yml": compose_list_with,
    "k8s.yaml": k8s_with,
    "configmap.yaml": configmap_with,
    "compose.yaml": compose_with,
    "node.toml": toml_with,
    "Dockerfile": dockerfile_with,
    "main.tf": terraform_with,
}
STYLES = ["plain", "double", "single", "block", "folded", "continued"]
