"""Faithful verdicts end to end (``compliance evaluate``, the embedded engine): every loaded
object kept with its own id, findings at the right file and line, ``pass`` only on
observed evidence, ``not_applicable`` only by a scoping decision, ``error`` when an input
of a kind a control reads failed to load."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from compliance.cli.main import cli

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "verdicts"
NOW = ["--now", "2026-11-27T00:00:00Z"]
TRANSPORT_AUTH_LOGGING = {
    ("hipaa", "164.312(e)(2)(ii)"),
    ("soc2", "CC6.7"),
    ("iso27001", "A.8.24"),
    ("iso27001", "A.8.5"),
    ("gdpr", "Art.32(1)(a)"),
}
OBSERVING_FAMILIES = ("TLS-", "AUTH-", "LOG-", "ENC-")


@pytest.fixture(autouse=True)
def _in_tmp(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no compliance.yaml of the checkout, paths relative to here


def run(*args: str) -> Result:
    return CliRunner().invoke(
        cli, ["evaluate", "--no-cache", "--format", "json", *NOW, *args], catch_exceptions=False
    )


def report(*args: str) -> dict[str, Any]:
    result = run(*args)
    assert result.exit_code in (0, 1), (result.exit_code, result.stderr)
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def controls(data: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(c["pack"], c["control_id"]): c for c in data["controls"]}


def copy_fixture(name: str, to: Path) -> Path:
    import shutil

    shutil.copytree(FIXTURES / name, to / name)
    return to / name


def test_a_bare_deployment_passes_no_transport_auth_logging_or_encryption_control(
    tmp_path: Path,
) -> None:
    copy_fixture("bare", tmp_path)
    data = report("bare")
    (resource,) = data["resources"]
    assert resource["kind"] == "Deployment" and resource["file"] == "bare/deployment.yaml"
    assert not [c for c in resource["assessed_by"] if c.startswith(OBSERVING_FAMILIES)]
    by_key = controls(data)
    for key in TRANSPORT_AUTH_LOGGING:
        assert by_key[key]["status"] == "not_assessed", key
        assert by_key[key]["assessed"] == {}
        assert by_key[key]["unassessed_checks"] == by_key[key]["checks"]
    for c in data["controls"]:
        if c["status"] == "pass":
            assert c["assessed"], c
            assert not [k for k in c["assessed"] if k.startswith(OBSERVING_FAMILIES)], c
    assert data["summary"]["controls"]["not_assessed"] > 0


def test_pass_lists_what_was_assessed(tmp_path: Path) -> None:
    copy_fixture("bare", tmp_path)
    data = report("bare")
    rid = data["resources"][0]["id"]
    passing = [c for c in data["controls"] if c["status"] == "pass"]
    assert passing  # NET-03 (host namespaces) observed the pod spec and found nothing
    for c in passing:
        assert all(ids == [rid] for ids in c["assessed"].values())
        assert set(c["assessed"]) | set(c["unassessed_checks"]) == set(c["checks"])


def test_a_kubernetes_control_plane_pod_is_assessed_for_transport_and_auth(
    tmp_path: Path,
) -> None:
    (tmp_path / "cp").mkdir()
    (tmp_path / "cp" / "apiserver.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: kube-apiserver\n  namespace: kube-system\n"
        "spec:\n  containers:\n    - name: kube-apiserver\n      image: registry.k8s.io/kube-apiserver:v1.31.0\n"
        "      command: [kube-apiserver, --anonymous-auth=false, --client-ca-file=/pki/ca.crt,\n"
        "        --tls-cipher-suites=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]\n"
    )
    data = report("cp")
    (resource,) = data["resources"]
    assert {"TLS-02", "TLS-05", "AUTH-01", "LOG-01", "ENC-01"} <= set(resource["assessed_by"])
    assert "TLS-02" in controls(data)[("hipaa", "164.312(e)(2)(ii)")]["assessed"]


def test_kustomize_base_and_overlay_are_both_kept(tmp_path: Path) -> None:
    copy_fixture("kustomize", tmp_path)
    data = report("kustomize")
    base_file = "kustomize/base/deployment.yaml"
    overlay_file = "kustomize/overlays/prod/deployment.yaml"
    shared = "k8s:apps/v1/Deployment:shop/web"
    base_id, overlay_id = f"{shared}@{base_file}#1", f"{shared}@{overlay_file}#1"
    assert [r["id"] for r in data["resources"]] == [base_id, overlay_id]
    assert data["duplicates"] == [{"id": shared, "resources": [base_id, overlay_id]}]
    assert data["summary"]["duplicates"] == 2
    root = {
        (f["file"], f["line"], f["resource"]["id"])
        for f in data["findings"]
        if f["check_id"] == "CTR-01" and "may run as root" in f["message"]
    }
    # the base runs as root (its container at line 15); the overlay sets runAsNonRoot
    assert root == {(base_file, 15, base_id)}
    overlay = [f for f in data["findings"] if f["file"] == overlay_file]
    assert overlay and all(f["resource"]["id"] == overlay_id for f in overlay)


def test_multi_install_layout_keeps_every_object(tmp_path: Path) -> None:
    copy_fixture("argo", tmp_path)
    data = report("argo")
    files = ["argo/ha/install.yaml", "argo/install.yaml", "argo/namespace-install.yaml"]
    assert sorted({r["file"] for r in data["resources"]}) == files
    assert len(data["resources"]) == 6
    assert len({r["id"] for r in data["resources"]}) == 6
    assert data["summary"]["resources"] == 6 and data["summary"]["duplicates"] == 6
    for r in data["resources"]:
        assert r["id"].endswith(f"@{r['file']}#{1 if r['kind'] == 'ServiceAccount' else 2}")
        assert r["line"] == (1 if r["kind"] == "ServiceAccount" else 7)
    privileged = [f for f in data["findings"] if "runs privileged" in f["message"]]
    assert [(f["file"], f["line"]) for f in privileged] == [("argo/ha/install.yaml", 28)]
    assert privileged[0]["resource"]["id"].endswith("@argo/ha/install.yaml#2")
    # each copy has its own findings, at its own file
    for file in files:
        mine = [f for f in data["findings"] if f["file"] == file and f["check_id"] == "CTR-01"]
        assert mine and all(f["resource"]["id"].endswith(f"@{file}#2") for f in mine)


def test_unassessed_resources_are_counted_by_kind_with_the_reason(tmp_path: Path) -> None:
    (tmp_path / "tf").mkdir()
    (tmp_path / "tf" / "main.tf").write_text(
        'resource "oci_core_security_list" "a" {\n  name = "a"\n}\n'
        'resource "oci_core_security_list" "b" {\n  name = "b"\n}\n'
    )
    data = report("tf")
    assert data["summary"]["unassessed"] == {
        "oci_core_security_list": {"count": 2, "reason": "no check reads this kind"}
    }
    assert [r["assessed_by"] for r in data["resources"]] == [[], []]
    assert "pass" not in {c["status"] for c in data["controls"]}
    table = CliRunner().invoke(cli, ["evaluate", "--no-cache", "--format", "table", "tf"])
    assert "oci_core_security_list: 2, no check reads this kind" in table.stdout
    markdown = CliRunner().invoke(cli, ["evaluate", "--no-cache", "--format", "markdown", "tf"])
    assert "| oci\\_core\\_security\\_list | 2 | no check reads this kind |" in markdown.stdout
    html = CliRunner().invoke(cli, ["evaluate", "--no-cache", "--format", "html", "tf"])
    assert "<td><code>oci_core_security_list</code></td><td>2</td>" in html.stdout


def test_a_kind_read_without_its_property_is_counted_with_that_reason(tmp_path: Path) -> None:
    (tmp_path / "tf").mkdir()
    (tmp_path / "tf" / "main.tf").write_text(
        'resource "azurerm_linux_virtual_machine" "a" {\n  name = "a"\n}\n'
    )
    data = report("tf")
    assert data["summary"]["unassessed"] == {
        "azurerm_linux_virtual_machine": {
            "count": 1,
            "reason": "the checks that read this kind found none of the properties they judge",
        }
    }


def test_not_assessed_with_fail_on_control_status(tmp_path: Path) -> None:
    copy_fixture("bare", tmp_path)
    assert run("bare", "--fail-on", "none").exit_code == 0
    gated = run("bare", "--fail-on", "none", "--fail-on-control-status", "not_assessed")
    assert gated.exit_code == 1
    bad = run("bare", "--fail-on-control-status", "not_assesed")
    assert bad.exit_code == 2 and "not_assessed" in bad.stderr


def test_scoped_out_controls_are_not_applicable_with_their_reason(tmp_path: Path) -> None:
    copy_fixture("bare", tmp_path)
    (tmp_path / "compliance.yaml").write_text(
        "scope:\n  exclude:\n"
        '    - control: "gdpr:Art.5(1)(e)"\n      reason: "no personal data is kept"\n'
        '    - control: "soc2:CC6.8"\n      reason: "images are built elsewhere"\n'
    )
    data = report("bare")
    by_key = controls(data)
    assert by_key[("gdpr", "Art.5(1)(e)")]["status"] == "not_applicable"
    assert by_key[("gdpr", "Art.5(1)(e)")]["reason"] == "no personal data is kept"
    # a scoping decision stands even where findings exist (they are still reported)
    assert by_key[("soc2", "CC6.8")]["status"] == "not_applicable"
    assert by_key[("soc2", "CC6.8")]["finding_count"] > 0
    others = [c for k, c in by_key.items() if k not in {("gdpr", "Art.5(1)(e)"), ("soc2", "CC6.8")}]
    assert "not_applicable" not in {c["status"] for c in others}
    assert all(c["reason"] is None for c in others)
    assert data["summary"]["controls"]["not_applicable"] == 2
    html = CliRunner().invoke(cli, ["evaluate", "--no-cache", "--format", "html", "bare"])
    assert "Scoped out: no personal data is kept" in html.stdout


@pytest.mark.parametrize(
    ("entry", "needle"),
    [
        ('- control: "gdpr:Art.5(1)(e)"\n', "reason"),
        ('- control: "gdpr:Art.5(1)(e)"\n  reason: "  "\n', "reason"),
        ('- control: "gdpr:Art.99"\n  reason: "x"\n', "no control 'Art.99'"),
        ('- control: "nist:AC-1"\n  reason: "x"\n', "unknown pack 'nist'"),
        ('- control: "Art.5"\n  reason: "x"\n', "control"),
    ],
)
def test_a_bad_scope_entry_is_a_usage_error(tmp_path: Path, entry: str, needle: str) -> None:
    copy_fixture("bare", tmp_path)
    indented = "".join(f"    {line}\n" for line in entry.splitlines())
    (tmp_path / "compliance.yaml").write_text(f"scope:\n  exclude:\n{indented}")
    result = run("bare")
    assert result.exit_code == 2, result.stderr
    assert "compliance.yaml" in result.stderr and needle in result.stderr
    assert "Traceback" not in result.stderr


def test_a_failed_input_makes_the_controls_reading_its_format_error(tmp_path: Path) -> None:
    copy_fixture("bare", tmp_path)
    (tmp_path / "bare" / "broken.yaml").write_text("apiVersion: v1\nkind: Service\n  bad: [\n")
    result = run("bare")
    assert result.exit_code == 3
    data = json.loads(result.stdout)
    by_key = controls(data)
    # CC6.7's checks read Kubernetes kinds (TLS-01: Services): undetermined, not not_assessed
    assert by_key[("soc2", "CC6.7")]["status"] == "error"
    # a control with open findings stays fail
    assert by_key[("soc2", "CC6.8")]["status"] == "fail"
    assert "pass" not in {c["status"] for c in data["controls"] if not c["assessed"]}


def test_a_failed_terraform_file_leaves_kubernetes_only_controls_alone(tmp_path: Path) -> None:
    copy_fixture("bare", tmp_path)
    (tmp_path / "bare" / "main.tf").write_text('resource "aws_s3_bucket" "b" {\n  bucket = \n')
    result = run("bare")
    assert result.exit_code == 3
    by_key = controls(json.loads(result.stdout))
    assert by_key[("soc2", "CC6.7")]["status"] == "error"  # ENC-01 reads aws_s3_bucket
    assert by_key[("iso27001", "A.8.31")]["status"] == "pass"  # NET-03 reads no Terraform
    assert by_key[("soc2", "CC6.8")]["status"] == "fail"


def test_one_terraform_address_in_two_roots_is_kept_twice(tmp_path: Path) -> None:
    for root, encrypted in (("staging", False), ("prod", True)):
        (tmp_path / "infra" / root).mkdir(parents=True)
        sse = (
            "  server_side_encryption_configuration {\n    rule {\n"
            '      apply_server_side_encryption_by_default {\n        sse_algorithm = "aws:kms"\n'
            "      }\n    }\n  }\n"
            if encrypted
            else ""
        )
        (tmp_path / "infra" / root / "main.tf").write_text(
            f'resource "aws_s3_bucket" "logs" {{\n  bucket = "logs-{root}"\n{sse}}}\n'
        )
    data = report("infra")
    ids = [r["id"] for r in data["resources"]]
    assert ids == [
        "tf:aws_s3_bucket.logs@infra/prod/main.tf#1",
        "tf:aws_s3_bucket.logs@infra/staging/main.tf#1",
    ]
    unencrypted = [
        f
        for f in data["findings"]
        if f["check_id"] == "ENC-01" and "no server-side" in f["message"]
    ]
    assert [(f["file"], f["resource"]["id"]) for f in unencrypted] == [
        ("infra/staging/main.tf", "tf:aws_s3_bucket.logs@infra/staging/main.tf#1")
    ]


def test_every_human_readable_format_says_what_each_status_means(tmp_path: Path) -> None:
    from compliance.formats.view import STATUS_LABEL, STATUS_MEANING
    from compliance.model.report import CONTROL_STATUSES

    copy_fixture("bare", tmp_path)
    outputs = {  # a wide table: its header on one line
        fmt: CliRunner(env={"COLUMNS": "200"})
        .invoke(cli, ["evaluate", "--no-cache", "--format", fmt, "bare"])
        .stdout
        for fmt in ("table", "markdown", "html")
    }
    for status in CONTROL_STATUSES:
        meaning = STATUS_MEANING[status]
        assert f"**{STATUS_LABEL[status]}**: {meaning}." in outputs["markdown"]
        assert f"{STATUS_LABEL[status]}</span></dt><dd>{meaning}." in outputs["html"]
        assert f"{STATUS_LABEL[status]}: " in outputs["table"]
    assert "not assessed" in outputs["table"].splitlines()[2]  # a column of its own
    assert "| Not assessed |" in outputs["markdown"]
    assert "Population: 1 resources" in outputs["table"]
    assert 'id="population"' in outputs["html"] and "### Population" in outputs["markdown"]


def test_a_security_config_passes_nothing_it_does_not_configure(tmp_path: Path) -> None:
    """TLS only: audit logging off, no roles, no firewall rules, no login methods. The
    controls that judge those are not passed on a config that never mentions them."""
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "node.toml").write_text(
        '[security.tls_config]\nenabled = true\nmin_version = "1.3"\nclient_auth = "require"\n'
    )
    data = report("app")
    by_key = controls(data)
    (resource,) = data["resources"]
    assert not {"LOG-02", "LOG-03", "LOG-04", "LOG-05", "AUTH-03", "AUTH-04", "AUTH-05"} & set(
        resource["assessed_by"]
    )
    assert not {"NET-01", "NET-02", "TLS-02", "TLS-03"} & set(resource["assessed_by"])
    for key in (("iso27001", "A.5.28"), ("soc2", "CC6.3"), ("iso27001", "A.8.20")):
        assert by_key[key]["status"] == "not_assessed", key  # LOG-04 / AUTH-03 / NET-01+02
    assert by_key[("soc2", "CC4.1")]["status"] == "fail"  # LOG-01: audit logging is off


def test_every_pack_case_input_in_one_run_evaluates_without_an_engine_error() -> None:
    """Every input of every pack case, in one run: many objects share a Kubernetes identity
    (a Namespace ``shop`` in a dozen cases, one bucket encrypted by two configurations), and
    every one is kept. No check may build an object keyed by a name two of them share: such
    a conflict is an engine error that turns every control to ``error``."""
    cases = ROOT / "tests" / "packs" / "cases"
    data = report(str(cases))
    assert data["errors"] == []
    assert data["summary"]["duplicates"] > 0
    assert data["summary"]["controls"]["error"] == 0
    assert data["summary"]["resources"] == len(data["resources"])
