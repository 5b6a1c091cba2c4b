"""Redaction: secrets in every input kind masked, line numbers kept, settings left alone."""

from __future__ import annotations

from typing import Any

import pytest

from compliance.evidence.bundle import redact_inputs
from compliance.evidence.redact import MASK, redact_report, redact_text
from compliance.inputs import LoadResult
from compliance.secrets.collect import scan_string
from tests.unit.evidence.planted import PLANTED, SECRETS_DIR, make_report


def test_every_planted_secret_is_removed_and_line_counts_kept(loaded: LoadResult) -> None:
    texts, changed, secrets = redact_inputs(loaded)
    assert set(texts) == set(loaded.texts)
    for rel, text in texts.items():
        assert text.count("\n") == loaded.texts[rel].count("\n"), rel
        assert changed[rel] > 0, f"{rel}: nothing redacted"
        for planted in PLANTED:
            assert planted not in text, f"{planted} left in {rel}"
    assert "Planted-k8s-env-9412" in secrets


@pytest.mark.parametrize(
    ("suffix", "line", "kept"),
    [
        ("k8s/secret.yaml", 9, "  db-password: "),
        ("k8s/secret.yaml", 36, "              value: "),
        ("docker/Dockerfile", 3, "APP_MODE=production"),
        ("docker-compose.yml", 10, "      - POSTGRES_PASSWORD="),
        ("terraform/main.tf", 4, "  default   = "),
        ("config/node.toml", 2, "admin_token = "),
    ],
)
def test_the_mask_sits_on_the_original_line(
    loaded: LoadResult, suffix: str, line: int, kept: str
) -> None:
    texts, _, _ = redact_inputs(loaded)
    redacted = texts[f"{SECRETS_DIR}/{suffix}"].split("\n")[line - 1]
    assert MASK in redacted
    assert kept in redacted


def test_settings_that_only_sound_secret_are_kept(loaded: LoadResult) -> None:
    texts, _, _ = redact_inputs(loaded)
    k8s = texts[f"{SECRETS_DIR}/k8s/secret.yaml"]
    toml = texts[f"{SECRETS_DIR}/config/node.toml"]
    assert "automountServiceAccountToken: false" in k8s
    assert "value: info" in k8s
    assert "password_min_length = 14" in toml
    assert "mfa_required = true" in toml
    assert '"region": {"value": "eu-central-1"}' in texts[f"{SECRETS_DIR}/terraform/plan.json"]


def test_pem_private_key_blocks_keep_their_lines() -> None:
    text = "a: 1\nkey: |\n  -----BEGIN RSA PRIVATE KEY-----\n  MIIEabc\n  def\n  -----END RSA PRIVATE KEY-----\nb: 2\n"
    out = redact_text(text)
    assert "MIIEabc" not in out.text and "def" not in out.text
    assert out.text.count("\n") == text.count("\n")
    assert out.text.startswith("a: 1\n") and out.text.endswith("b: 2\n")


def test_one_line_pem_in_json_is_masked() -> None:
    text = '{"k": "-----BEGIN PRIVATE KEY-----\\nMC4CAQAw\\n-----END PRIVATE KEY-----\\n"}'
    assert "MC4CAQAw" not in redact_text(text).text


def test_references_are_not_secrets() -> None:
    text = "password = var.db_password\nDB_PASSWORD: ${DB_PASSWORD}\n"
    assert redact_text(text).text == text


def test_terraform_attribute_references_and_permission_lists_are_not_secrets() -> None:
    text = (
        'resource "azurerm_linux_virtual_machine" "vm" {\n'
        "  admin_password = random_password.vm.result\n"
        "  storage_account_access_key = azurerm_storage_account.logs.primary_access_key\n"
        '  password = data.vault_generic_secret.db.data["pw"]\n'
        "  secret_permissions = [\n"
        '    "Get",\n'
        "  ]\n"
        '  administrator_login_password = "Fixture-admin-pw-77"\n'
        "}\n"
    )
    out = redact_text(text, rel="main.tf").text
    assert out.split("\n")[:-3] == text.split("\n")[:-3]
    assert 'administrator_login_password = "[REDACTED]"' in out
    # outside Terraform an unquoted dotted value may be a literal password
    assert "random_password" not in redact_text("password = random_password.vm.result\n").text


@pytest.mark.parametrize(
    "url",
    [
        "mysql://root:${DB_ROOT_PASSWORD}@db:3306/shop",
        "postgres://app:$PGPASSWORD@db/app",
        "redis://default:{{.Values.redisPassword}}@cache:6379",
    ],
)
def test_a_url_password_that_names_its_source_is_left_as_written(url: str) -> None:
    text = f"services:\n  web:\n    environment:\n      DATABASE_URL: {url}\n"
    assert redact_text(text, rel="compose.yaml").text == text
    literal = text.replace(url.split(":")[2].split("@")[0], "Fixture-root-pass-41")
    assert "Fixture-root-pass-41" not in redact_text(literal, rel="compose.yaml").text
    collected: set[str] = set()
    scan_string(url, collected)
    assert collected == set()
    scan_string(literal, collected)
    assert collected == {"Fixture-root-pass-41"}


def test_secret_looking_values_under_any_name() -> None:
    text = "NOTE: AKIAABCDEFGHIJKLMNOP\nurl: postgres://u:hunter2hunter2@db:5432/x\n"
    out = redact_text(text).text
    assert "AKIAABCDEFGHIJKLMNOP" not in out and "hunter2hunter2" not in out
    assert "postgres://u:" in out


def test_secrets_are_replaced_only_as_whole_tokens() -> None:
    out = redact_text(
        "token: required\nmode: unrequired\nx: abcd1234\ny: zabcd1234z\n", secrets={"abcd1234"}
    ).text
    assert "x: [REDACTED]" in out
    assert "y: zabcd1234z" in out
    assert "token: required" in out


def test_report_messages_never_echo_a_secret(loaded: LoadResult) -> None:
    _, _, secrets = redact_inputs(loaded)
    report = redact_report(make_report(loaded), secrets)
    dumped = report.model_dump_json()
    assert "Planted-k8s-env-9412" not in dumped
    assert "SHOP_DB_PASSWORD to '[REDACTED]'" in report.findings[0].message


@pytest.mark.parametrize(
    "line",
    ["a=" + "b" * 50_000, "x://" * 12_500, "eyJ" * 16_000, "password: " + " " * 50_000 + "x"],
    ids=["long-word", "scheme-like", "jwt-prefix", "long-blank"],
)
def test_long_lines_are_handled_linearly(line: str) -> None:
    # Regression: unanchored scheme and token patterns once rescanned every position (quadratic).
    out = redact_text(line).text
    assert out.count("\n") == 0


@pytest.mark.parametrize("where", ["message", "error", "extra", "waiver"])
def test_a_secret_in_a_reports_text_is_masked(loaded: LoadResult, where: str) -> None:
    """The clean-report shortcut (strings read off the models) looks where the full walk
    looks: a secret in any text of a report (messages, errors, extras, waivers) is masked."""
    from compliance.model import LoadError

    secret = "Planted-k8s-env-9412"
    report = redact_report(make_report(loaded), [secret])
    assert redact_report(report, [secret]) is report  # nothing left to mask: as is
    f = report.findings[0]
    if where == "message":
        f = f.model_copy(update={"message": f"value {secret} echoed"})
    elif where == "waiver":
        f = f.model_copy(update={"waiver": {"check": "SEC-01", "reason": f"see {secret}"}})
    update: dict[str, object] = {"findings": [f, *report.findings[1:]]}
    if where == "error":
        update["errors"] = [LoadError(file="x.yaml", message=f"bad value {secret}")]
    elif where == "extra":
        update["extra"] = {"skipped": [{"file": "x", "reason": secret}]}
    planted = report.model_copy(update=update)
    redacted = redact_report(planted, [secret])
    assert secret not in redacted.model_dump_json()
    assert MASK in redacted.model_dump_json()
    assert redact_report(report, [secret]) is report  # nothing to mask: the same report


@pytest.mark.parametrize("where", ["file", "path", "resource-name", "namespace", "input-file"])
def test_identifiers_are_never_rewritten(loaded: LoadResult, where: str) -> None:
    """Files, paths, ids, names and namespaces are shown as loaded, even when a secret value
    is one of their words (a folder ``gitea-postgres`` beside the password ``gitea``); the
    value is not masked in messages either, where it is the same word."""
    from compliance.model.report import InputRef

    secret = "gitea"
    f = make_report(loaded).findings[0]
    ref = f.resource
    if where == "file":
        f = f.model_copy(update={"file": f"{secret}-postgres/compose.yaml"})
    elif where == "path":
        f = f.model_copy(update={"path": f"env.{secret}"})
    elif where == "resource-name":
        f = f.model_copy(update={"resource": ref.model_copy(update={"name": secret})})
    elif where == "namespace":
        f = f.model_copy(update={"resource": ref.model_copy(update={"namespace": secret})})
    f = f.model_copy(update={"message": f"compose service {secret} sets a literal password"})
    report = make_report(loaded).model_copy(update={"findings": [f]})
    if where == "input-file":
        report = report.model_copy(
            update={
                "inputs": [InputRef(file=f"{secret}/c.yaml", format="k8s", sha256="0", resources=1)]
            }
        )
    assert redact_report(report, [secret]) is report
    # without the identifier, the same message is masked
    alone = make_report(loaded).model_copy(
        update={
            "findings": [make_report(loaded).findings[0].model_copy(update={"message": f.message})]
        }
    )
    assert secret not in redact_report(alone, [secret]).findings[0].message


def test_messages_are_not_read_as_name_value_pairs(loaded: LoadResult) -> None:
    """A message naming a setting (``ENV API_TOKEN``) keeps its words; a credential shape in
    a message is still masked."""
    report = make_report(loaded, message="ENV API_TOKEN bakes a secret value into the image")
    assert redact_report(report, []).findings[0].message == report.findings[0].message
    shaped = make_report(loaded, message="value AKIAABCDEFGHIJKLMNOP of x")
    assert redact_report(shaped, []).findings[0].message == f"value {MASK} of x"


def test_the_shape_prefilter_never_hides_a_string_a_rule_masks(loaded: LoadResult) -> None:
    """``mask_shapes`` returns early when ``may_need_shape_mask`` says no shape can be in a
    string: over every line of the planted inputs and the shapes' own examples, no masked
    line is ever skipped."""
    from compliance.secrets.mask import mask_line, mask_shapes, may_need_shape_mask

    lines = [line for text in loaded.texts.values() for line in text.splitlines()]
    lines += [
        "NOTE: AKIAABCDEFGHIJKLMNOP",
        "url postgres://u:hunter2hunter2@db:5432/x",
        "-----BEGIN PRIVATE KEY----- MC4CAQAw -----END PRIVATE KEY-----",
        "token ghp_abcdefghijklmnopqrstuvwxyz0123456789",
        "x https://user:hunter2hunter2@example.com/",
    ]
    shaped = [line for line in lines if mask_line(line) != line]
    assert len(shaped) >= 10  # the rules are exercised
    masked = [line for line in lines if mask_shapes(line) != line]
    assert len(masked) >= 5
    assert all(may_need_shape_mask(line) for line in masked)


def test_the_joined_clean_check_agrees_with_scrubbing_each_string(loaded: LoadResult) -> None:
    """``_all_clean`` (one pass per value over the strings joined) answers what scrubbing
    every string one by one answers: over the planted inputs' lines one at a time (most
    hold a secret or a shape), the clean ones together, with and without the planted
    values as secrets, and with non-ASCII text."""
    from compliance.evidence.redact import _all_clean, scrub
    from compliance.secrets.mask import value_patterns

    secret = "Planted-k8s-env-9412"
    lines = [line for text in loaded.texts.values() for line in text.splitlines() if line]
    lines.append("token ghp_abcdefghijklmnopqrstuvwxyz0123456789 alone")  # a mark, no other hint
    plain = ["k8s:apps/v1/Deployment:ns/web", "dir/file.yaml", "a message with no hint"]
    multi = ["two\nlines: password=hunter2hunter2"]
    for patterns in (value_patterns([]), value_patterns([secret])):

        def naive(strings: list[str], patterns: Any = patterns) -> bool:
            return all(scrub(s, patterns) == s for s in strings)

        clean_lines = [line for line in lines if naive([line])]
        assert 0 < len(clean_lines) < len(lines)  # both kinds are there
        for line in lines:
            assert _all_clean([*plain, line], patterns) == naive([*plain, line]), line
        for extra in ([], ["Grüße aus Köln: ok"], ["ENV x", "Σ env"]):
            strings = [*plain, *clean_lines, *multi, *extra]
            assert _all_clean(strings, patterns) == naive(strings)
    assert not _all_clean([*plain, f"value {secret} echoed"], value_patterns([secret]))
    assert not _all_clean([*plain, lines[-1]], value_patterns([]))


def test_a_multi_line_secret_masks_its_key_material_elsewhere_not_its_configuration() -> None:
    """A Secret's datasource file shares lines with every dashboard (``"type": "prometheus",``):
    another file keeps them; the lines of a key kept in a Secret are masked wherever they
    occur."""
    datasources = '{\n    "name": "prometheus",\n    "type": "prometheus",\n    "orgId": 1\n}'
    key = "-----BEGIN PRIVATE KEY-----\nMIIEvFixtureKeyLineOne0123456789\nAbCdFixtureKeyLineTwo987654321\n-----END PRIVATE KEY-----"
    dashboard = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: d}\ndata:\n  d.json: |-\n"
        '    {\n        "type": "prometheus",\n        "title": "CPU"\n    }\n'
        "  copied: AbCdFixtureKeyLineTwo987654321\n"
    )
    out = redact_text(dashboard, secrets={datasources, key}, rel="dashboards.yaml").text
    assert '        "type": "prometheus",' in out.split("\n")
    assert "AbCdFixtureKeyLineTwo987654321" not in out


def test_compose_references_secret_files_and_secret_names_are_left_as_written() -> None:
    """``NAME=${VAR}`` in a list item (the rule's value used to stop at ``}``), a password
    read from the secrets folder compose and Kubernetes mount, and a service's list of
    secret names are no values; a literal beside them is masked."""
    text = (
        "services:\n  db:\n    environment:\n"
        "      - POSTGRES_PASSWORD=${POSTGRES_PW}\n"
        "      - DATABASE_PASSWORD=/run/secrets/db-password\n"
        "      - MYSQL_ROOT_PASSWORD_FILE=/run/secrets/db-password\n"
        "      - API_TOKEN=Fixture-literal-token-31\n"
        "    secrets:\n      - db-password\n"
    )
    out = redact_text(text, rel="compose.yaml").text
    assert out == text.replace("Fixture-literal-token-31", MASK)
