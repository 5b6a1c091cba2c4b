"""``compliance serve``: the webhook and API server."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import click

from compliance.cli.evaluate import parse_assignments
from compliance.errors import ComplianceError, UsageError
from compliance.evaluation.executor import available_cpus
from compliance.evidence import dsse
from compliance.ledger import ledger_url, scope_name
from compliance.model.report import SEVERITIES
from compliance.policy.packs import available_packs, check_parameters
from compliance.project import find_project
from compliance.runner import RunOptions
from compliance.server.app import (
    MAX_BODY_BYTES,
    WORKER_NICE,
    ServerConfig,
    configure_access_log,
    create_app,
)
from compliance.server.auth import Tokens
from compliance.server.bundles import StoreBundles
from compliance.server.decide import CROSS_RESOURCE_CHECKS, SIBLING_FINDINGS, Policy
from compliance.server.decisioncache import DEFAULT_SIZE
from compliance.server.decisionlog import DEFAULT_CHECKPOINT_EVERY, DecisionLog
from compliance.server.evaluators import build, factory, settings
from compliance.server.tls import uvicorn_config


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_labels(values: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    out = []
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"--exclude-label {item!r}: expected key=value")
        out.append((key, value))
    return tuple(out)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=8443, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--tls-cert",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="PEM certificate (chain).",
)
@click.option(
    "--tls-key",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="PEM private key.",
)
@click.option("--insecure", is_flag=True, help="Allow plain HTTP on a non-loopback address.")
@click.option(
    "--tokens",
    "tokens_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="YAML file of bearer token hashes and roles.",
)
@click.option("--pack", "packs", multiple=True, help="Pack to enforce (repeatable; default: all).")
@click.option(
    "--param", "params", multiple=True, metavar="NAME=VALUE", help="Override a pack parameter."
)
@click.option(
    "--mode",
    type=click.Choice(["enforce", "audit"]),
    default="enforce",
    show_default=True,
    help="audit: allow everything, record and warn.",
)
@click.option(
    "--fail-on",
    type=click.Choice([*SEVERITIES, "none"]),
    default="high",
    show_default=True,
    help="Deny findings at or above this severity; lower ones become warnings.",
)
@click.option(
    "--store",
    type=click.Path(file_okay=False, path_type=Path),
    help="Evidence store folder served at /v1/bundles.",
)
@click.option(
    "--verify-key",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Publisher's Ed25519 public key (PEM) for /v1/bundles/{id}/verify.",
)
@click.option(
    "--decision-log",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Append every admission decision here (hash-chained JSON lines).",
)
@click.option(
    "--sign-key",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Ed25519 private key (PEM) that signs the decision log's checkpoints and head.",
)
@click.option(
    "--checkpoint-every",
    default=DEFAULT_CHECKPOINT_EVERY,
    show_default=True,
    type=click.IntRange(1),
    help="Decisions between signed checkpoints (one is also written on shutdown).",
)
@click.option(
    "--ledger",
    "ledger_option",
    metavar="URL",
    help="Also record every admission decision in this ledger (sqlite:///PATH or postgresql://...; "
    "default: $COMPLIANCE_LEDGER, then ledger: in compliance.yaml). Replicas can share one PostgreSQL ledger. "
    "The portal (/ui/) then lists the ledger's runs and adds the period view and the SoA.",
)
@click.option(
    "--scope",
    "scope_option",
    metavar="NAME",
    help="Ledger scope of the decisions (default: scope: in compliance.yaml, else 'default').",
)
@click.option(
    "--exclude-namespace",
    "exclude_namespaces",
    multiple=True,
    help="Namespace whose objects are admitted unchecked (repeatable).",
)
@click.option(
    "--exclude-label",
    "exclude_labels",
    multiple=True,
    metavar="KEY=VALUE",
    help="Objects with this label are admitted unchecked (repeatable).",
)
@click.option(
    "--fail-open",
    is_flag=True,
    help="Allow (with a warning) when evaluation fails; default denies.",
)
@click.option(
    "--evaluators",
    default=available_cpus(),
    show_default="CPUs available: affinity, capped by the cgroup quota",
    type=click.IntRange(1, 64),
    help="Evaluation worker processes, each with its own compiled engines.",
)
@click.option(
    "--worker-nice",
    default=WORKER_NICE,
    show_default=True,
    type=click.IntRange(0, 19),
    help="Niceness of the worker processes, so HTTP and cache hits are scheduled first.",
)
@click.option(
    "--decision-cache",
    default=DEFAULT_SIZE,
    show_default=True,
    type=click.IntRange(0),
    help="Admission results kept for identical requests (LRU entries; 0 disables).",
)
@click.option(
    "--max-body",
    default=MAX_BODY_BYTES,
    show_default=True,
    type=click.IntRange(1024),
    help="Request body limit in bytes.",
)
@click.option(
    "--timeout",
    "eval_timeout",
    default=8.0,
    show_default=True,
    type=click.FloatRange(0.1),
    help="Seconds an evaluation may take before it counts as an error.",
)
def serve(
    host: str,
    port: int,
    tls_cert: Path | None,
    tls_key: Path | None,
    insecure: bool,
    tokens_file: Path | None,
    packs: tuple[str, ...],
    params: tuple[str, ...],
    mode: str,
    fail_on: str,
    store: Path | None,
    verify_key: Path | None,
    decision_log: Path | None,
    sign_key: Path | None,
    checkpoint_every: int,
    ledger_option: str | None,
    scope_option: str | None,
    exclude_namespaces: tuple[str, ...],
    exclude_labels: tuple[str, ...],
    fail_open: bool,
    evaluators: int,
    worker_nice: int,
    decision_cache: int,
    max_body: int,
    eval_timeout: float,
) -> None:
    """Serve the admission webhook, the evaluation API and evidence downloads."""
    import uvicorn

    if (tls_cert is None) != (tls_key is None):
        raise UsageError("--tls-cert and --tls-key go together")
    if tls_cert is None and not is_loopback(host) and not insecure:
        raise UsageError(
            f"refusing plain HTTP on {host}: give --tls-cert/--tls-key (or --insecure)"
        )
    if sign_key and not decision_log:
        raise UsageError("--sign-key signs the decision log's checkpoints: give --decision-log")
    if decision_log and not sign_key:
        click.echo(
            "warning: no --sign-key: the decision log gets no signed checkpoints (its chain "
            "alone does not stop someone who can write the file from re-chaining it)",
            err=True,
        )
    options = RunOptions(packs=list(packs) or None, parameters=parse_assignments(params, "--param"))
    built = build(options, restrict=False)  # fail fast on pack errors, before binding
    check_parameters(built.packs, options.parameters, available_packs(), "--param")
    cache_settings = settings(built, options.parameters)
    del built
    project = find_project()
    ledger = ledger_url(ledger_option, project)
    decision_ledger = None
    if ledger:
        from compliance.ledger.decisions import LedgerDecisions

        decision_ledger = LedgerDecisions(ledger, scope_name(scope_option, project))
    config = ServerConfig(
        evaluator_factory=factory(options),
        evaluators=evaluators,
        decision_cache=decision_cache,
        worker_nice=worker_nice,
        cache_settings=cache_settings,
        policy=Policy(
            mode=mode,  # type: ignore[arg-type]
            fail_on=fail_on,
            fail_open=fail_open,
            exclude_namespaces=frozenset(exclude_namespaces),
            exclude_labels=parse_labels(exclude_labels),
        ),
        tokens=Tokens.load(tokens_file) if tokens_file else None,
        bundles=StoreBundles(store, dsse.load_public_key(verify_key) if verify_key else None)
        if store
        else None,
        decision_log=DecisionLog(
            decision_log,
            dsse.load_private_key(sign_key) if sign_key else None,
            checkpoint_every,
        )
        if decision_log
        else None,
        decision_ledger=decision_ledger,
        max_body_bytes=max_body,
        eval_timeout=eval_timeout,
        parameters=options.parameters,
    )
    configure_access_log()
    skipped = ", ".join(f"{k} ({v})" for k, v in CROSS_RESOURCE_CHECKS.items())
    skipped += ", and namespace-level findings of " + ", ".join(SIBLING_FINDINGS)
    click.echo(
        f"compliance serve: {mode} mode, fail on {fail_on}; not judged at admission: {skipped}",
        err=True,
    )
    server_config = uvicorn_config(
        create_app(config),
        host=host,
        port=port,
        cert=tls_cert,
        key=tls_key,
        access_log=False,
        log_level="warning",
        timeout_keep_alive=30,
        timeout_graceful_shutdown=10,
        limit_concurrency=512,
    )
    server = uvicorn.Server(server_config)
    server.run()
    if not server.started:
        raise ComplianceError(f"could not serve on {host}:{port} (see the message above)")


COMMANDS = [serve]
