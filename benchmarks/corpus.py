"""Scaled benchmark corpora: kube-prometheus copied N times, plus generated Terraform and
SecurityConfig files (see benchmarks/README.md).

kube-prometheus comes from ``../shared/corpus`` beside the checkout (``COMPLIANCE_SHARED_DIR``
elsewhere), reference material the repository does not carry; without it, from our own
fixture in its patterns (``tests/fixtures/monitoring``, fewer objects a copy), and the
results say which (``SOURCE_NAME``)."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("COMPLIANCE_SHARED_DIR") or REPO.parent / "shared")
KUBE_PROMETHEUS = SHARED / "corpus" / "kube-prometheus"
SOURCE = KUBE_PROMETHEUS if KUBE_PROMETHEUS.is_dir() else REPO / "tests" / "fixtures" / "monitoring"
SOURCE_NAME = (
    "kube-prometheus (../shared/corpus)"
    if SOURCE == KUBE_PROMETHEUS
    else "tests/fixtures/monitoring (no ../shared: fewer objects a copy)"
)
CORPORA = Path(__file__).resolve().parent / "corpora"
GENERATOR_VERSION = "1"
_NAMESPACE = re.compile(r"namespace: monitoring\b")

TERRAFORM = """\
# generated copy {tag}
resource "aws_s3_bucket" "data_{tag}" {{
  bucket = "bpi-data-{tag}"
  tags = {{
    copy = "{tag}"
  }}
}}

resource "aws_security_group" "node_{tag}" {{
  name        = "bpi-node-{tag}"
  description = "BPI node {tag}"
  ingress {{
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }}
  ingress {{
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["10.0.0.0/8"]
  }}
  egress {{
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }}
}}

resource "aws_db_instance" "ledger_{tag}" {{
  identifier              = "ledger-{tag}"
  engine                  = "postgres"
  instance_class          = "db.t3.medium"
  storage_encrypted       = false
  backup_retention_period = 0
}}

resource "aws_cloudwatch_log_group" "audit_{tag}" {{
  name              = "/bpi/audit/{tag}"
  retention_in_days = 30
}}

resource "aws_kms_key" "bpi_{tag}" {{
  description         = "BPI data at rest {tag}"
  enable_key_rotation = false
}}
"""

SECURITYCONFIG = """\
# generated copy {tag}
network:
  listen_addr: "0.0.0.0:9090"
storage:
  data_dir: /var/lib/bpi
  encryption_at_rest: {encrypted}
  backup:
    enabled: true
    retention_days: 30
security:
  tls_config:
    enabled: true
    min_version: "{tls}"
    client_auth: require
  auth_config:
    methods: [oidc, mtls]
    mfa_required: {mfa}
    allow_anonymous: false
    session_timeout_minutes: 15
    password_min_length: 14
  firewall_rules:
    - name: https
      direction: ingress
      action: allow
      protocol: tcp
      ports: [443]
      sources: ["0.0.0.0/0"]
    - name: ssh
      direction: ingress
      action: allow
      protocol: tcp
      ports: [22]
      sources: ["0.0.0.0/0"]
  audit_config:
    enabled: true
    events: [authn, authz_denied, admin, config_change]
    retention_days: {retention}
    immutable: false
    sink: "syslog+tls://siem.example:6514"
"""


def copy_tag(i: int) -> str:
    return f"r{i:04d}"


def _up_to_date(dest: Path, stamp: str) -> bool:
    """Whether ``dest`` was built by this generator with the same arguments (``stamp``);
    if not, it is removed to be built again."""
    done = dest / ".generator"
    if done.is_file() and done.read_text() == f"{GENERATOR_VERSION} {stamp}\n":
        return True
    if dest.exists():
        shutil.rmtree(dest)
    return False


def _stamp(dest: Path, stamp: str) -> None:
    (dest / ".generator").write_text(f"{GENERATOR_VERSION} {stamp}\n")


def build(copies: int, dest: Path | None = None) -> Path:
    """``benchmarks/corpora/k<copies>``: rebuilt only when missing or from an older generator."""
    dest = dest or CORPORA / f"c{copies}"
    stamp = f"{copies} {SOURCE.name}"
    if _up_to_date(dest, stamp):
        return dest
    sources = sorted(p for p in SOURCE.iterdir() if p.suffix in (".yaml", ".yml", ".json"))
    texts = {p.name: p.read_text(encoding="utf-8") for p in sources}
    for i in range(1, copies + 1):
        tag = copy_tag(i)
        folder = dest / tag
        folder.mkdir(parents=True)
        for name, text in texts.items():
            (folder / name).write_text(
                _NAMESPACE.sub(f"namespace: monitoring-{tag}", text), encoding="utf-8"
            )
        (folder / "terraform").mkdir()
        (folder / "terraform" / "main.tf").write_text(TERRAFORM.format(tag=tag.replace("r", "")))
        (folder / "config").mkdir()
        (folder / "config" / "bpi-node.yaml").write_text(
            SECURITYCONFIG.format(
                tag=tag,
                encrypted=str(i % 2 == 0).lower(),
                tls="1.2" if i % 3 else "1.1",
                mfa=str(i % 4 != 0).lower(),
                retention=365 if i % 5 else 30,
            )
        )
    _stamp(dest, stamp)
    return dest


DENSE_APP = """\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: app-{i}, namespace: shop, labels: {{app: app-{i}}}}}
spec:
  replicas: 2
  selector: {{matchLabels: {{app: app-{i}}}}}
  template:
    metadata: {{labels: {{app: app-{i}}}}}
    spec:
      serviceAccountName: sa-{i}
      containers:
      - name: c
        image: registry.example/app-{i}:1.0
        env: [{{name: DB_HOST, value: db}}, {{name: TOKEN, valueFrom: {{secretKeyRef: {{name: s-{i}, key: t}}}}}}]
        livenessProbe: {{httpGet: {{path: /, port: 80}}}}
        resources: {{limits: {{cpu: 100m, memory: 64Mi}}, requests: {{cpu: 50m, memory: 32Mi}}}}
---
apiVersion: v1
kind: Service
metadata: {{name: app-{i}, namespace: shop}}
spec: {{selector: {{app: app-{i}}}, ports: [{{port: 80}}]}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {{name: app-{i}, namespace: shop}}
spec:
  rules:
  - host: app-{i}.example
    http: {{paths: [{{path: /, pathType: Prefix, backend: {{service: {{name: app-{i}, port: {{number: 80}}}}}}}}]}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: app-{i}, namespace: shop}}
spec: {{podSelector: {{matchLabels: {{app: app-{i}}}}}, policyTypes: [Ingress], ingress: [{{from: [{{podSelector: {{}}}}]}}]}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {{name: app-{i}, namespace: shop}}
rules: [{{apiGroups: [""], resources: [pods], verbs: [get, list]}}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {{name: app-{i}, namespace: shop}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: Role, name: app-{i}}}
subjects: [{{kind: ServiceAccount, name: sa-{i}, namespace: shop}}]
---
apiVersion: v1
kind: ServiceAccount
metadata: {{name: sa-{i}, namespace: shop}}
---
apiVersion: v1
kind: ConfigMap
metadata: {{name: app-{i}, namespace: shop}}
data: {{LOG_LEVEL: info, URL: "https://app-{i}.example"}}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {{name: app-{i}, namespace: shop}}
spec: {{minAvailable: 1, selector: {{matchLabels: {{app: app-{i}}}}}}}
"""
"""One application of the dense corpus: nine objects, all in namespace ``shop``."""
DENSE_OBJECTS = DENSE_APP.count("\n---\n") + 1


def build_dense(apps: int, dest: Path | None = None) -> Path:
    """``benchmarks/corpora/dense<apps>``: ``apps`` applications of ``DENSE_APP`` in one
    namespace, a file each (a monorepo's one big namespace: the checks that judge a
    namespace as a whole see every object of it)."""
    dest = dest or CORPORA / f"dense{apps}"
    if _up_to_date(dest, f"dense {apps}"):
        return dest
    dest.mkdir(parents=True)
    for i in range(apps):
        (dest / f"app-{i:04d}.yaml").write_text(DENSE_APP.format(i=f"{i:04d}"))
    _stamp(dest, f"dense {apps}")
    return dest


def files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith("."))
