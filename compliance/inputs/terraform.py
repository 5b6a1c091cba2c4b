"""Terraform: ``*.tf`` (python-hcl2) and ``terraform show -json`` plans, one Resource per block.

python-hcl2 8.x marks blocks with ``__is_block__`` and always puts them in lists. We drop the
marker and unwrap a single block (``root_block_device``, ``lifecycle``) into a mapping, except
for block types Terraform repeats (``ingress``, ``rule``, ...) which stay lists even when there
is one, so checks see one shape. python-hcl2 gives no line numbers: block lines come from a
light scan of the source text.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from compliance.errors import InputError
from compliance.inputs import hcl_grammar
from compliance.inputs.base import FileContext, FileLoad
from compliance.inputs.terraform_facts import extra_facts, options
from compliance.model import Resource
from compliance.secrets.collect import strings_of
from compliance.secrets.detect import is_reference, looks_secret_name

REPEATED_BLOCKS = frozenset(
    {
        "ingress",
        "egress",
        "rule",
        "statement",
        "condition",
        "setting",
        "tag",
        "lifecycle_rule",
        "cors_rule",
        "transition",
        "noncurrent_version_transition",
        "event_selector",
        "advanced_event_selector",
        "field_selector",
        "data_resource",
        "ebs_block_device",
        "ephemeral_block_device",
        "network_interface",
        "default_action",
        "action",
        "origin",
        "ordered_cache_behavior",
        "attribute",
        "global_secondary_index",
        "local_secondary_index",
        "dynamic",
        "principals",
        "not_principals",
        "policy_rule",
        "volume",
        "container_definitions",
        "subnet_mapping",
        "access_logs_rule",
        "filter",
        "replica",
        "parameter",
        "provisioner",
    }
)

SG_KINDS = frozenset(
    {
        "aws_security_group",
        "aws_security_group_rule",
        "aws_vpc_security_group_ingress_rule",
        "aws_vpc_security_group_egress_rule",
    }
)
WORLD = frozenset({"0.0.0.0/0", "::/0"})

_HEREDOC = re.compile(r"^<<(-?)([A-Za-z_][A-Za-z0-9_]*)\n(.*?)\n?[ \t]*\2$", re.S)
_ATTR = re.compile(r'^\s*"?([A-Za-z_][\w-]*)"?\s*=(?!=)')
_BLOCK = re.compile(r'^\s*([A-Za-z_][\w-]*)((?:\s+"[^"]*"|\s+[A-Za-z_][\w-]*)*)\s*\{')


def load(text: str, ctx: FileContext) -> list[Resource]:
    try:
        parsed = hcl_grammar.parse(text).serialize(options=options())
    except Exception as e:  # lark raises UnexpectedInput subclasses, others raise ValueError
        line = getattr(e, "line", None)
        message = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise InputError(
            f"invalid HCL: {message}",
            file=ctx.rel,
            line=line if isinstance(line, int) and line > 0 else None,
        ) from e
    source_lines = text.splitlines()
    out: list[Resource] = []
    seen: dict[tuple[str, ...], int] = {}

    def add(keyword: str, btype: str | None, name: str, body: Any) -> None:
        labels = (keyword, *([btype] if btype else []), name)
        nth = seen.get(labels, 0)
        seen[labels] = nth + 1
        out.append(_block_resource(ctx, source_lines, keyword, btype, name, body, nth))

    for block in parsed.get("resource", []) or []:
        for rtype, named in block.items():
            for name, body in named.items():
                add("resource", rtype, name, body)
    for block in parsed.get("data", []) or []:
        for dtype, named in block.items():
            for name, body in named.items():
                add("data", dtype, name, body)
    for keyword in ("variable", "module", "provider"):
        for block in parsed.get(keyword, []) or []:
            for name, body in block.items():
                add(keyword, None, name, body)
    for block in parsed.get("locals", []) or []:
        if isinstance(block, dict):
            add("locals", None, "", block)
    return out


def _block_resource(
    ctx: FileContext,
    source_lines: list[str],
    keyword: str,
    btype: str | None,
    name: str,
    raw: Any,
    nth: int = 0,
) -> Resource:
    body = normalize(raw) if isinstance(raw, dict) else {}
    labels = [label for label in (btype, name) if label]
    start = _find_block(source_lines, keyword, labels, nth)
    lines, end = _scan_lines(source_lines, start, body) if start else ({}, None)
    facts: dict[str, Any] = {}
    if keyword == "resource":
        rid, kind = f"tf:{btype}.{name}", str(btype)
        facts = facts_for(kind, body, lines)
    elif keyword == "data":
        rid, kind = f"tf:data.{btype}.{name}", f"data.{btype}"
        facts = extra_facts(kind, body)
    elif keyword == "variable":
        rid, kind = f"tf:var.{name}", "terraform_variable"
    elif keyword == "module":
        rid, kind = f"tf:module.{name}", "terraform_module"
    elif keyword == "provider":
        alias = body.get("alias")
        suffix = f".{alias}" if isinstance(alias, str) and alias else ""
        rid, kind = f"tf:provider.{name}{suffix}", f"provider.{name}"
    else:
        rid, kind, name = f"tf:locals:{ctx.rel}:{start or 1}", "terraform_locals", "locals"
    return ctx.resource(
        id=rid,
        kind=kind,
        name=name,
        format="terraform",
        line=start or 1,
        end_line=end,
        body=body,
        facts=facts,
        lines=lines,
    )


def normalize(value: Any, key: str | None = None) -> Any:
    """hcl2 output to plain JSON values (see the module docstring)."""
    if isinstance(value, dict):
        return {k: normalize(v, k) for k, v in value.items() if k != "__is_block__"}
    if isinstance(value, list):
        items = [normalize(v) for v in value]
        is_blocks = bool(value) and all(
            isinstance(v, dict) and v.get("__is_block__") for v in value
        )
        if is_blocks and len(items) == 1 and key not in REPEATED_BLOCKS:
            return items[0]
        return items
    if isinstance(value, str):
        m = _HEREDOC.match(value)
        if m:
            content = m.group(3)
            return textwrap.dedent(content) if m.group(1) else content
    return value


def _find_block(
    source_lines: list[str], keyword: str, labels: list[str], nth: int = 0
) -> int | None:
    """The 1-based line of the ``nth`` block ``keyword "label"... {`` (0: the first)."""
    opens = block_opener(keyword, labels)
    for i, text in enumerate(source_lines):
        if opens(text):
            if nth == 0:
                return i + 1
            nth -= 1
    return None


def block_opener(keyword: str, labels: list[str]) -> Callable[[str], bool]:
    """Whether a line matches ``^\\s*keyword(\\s+"?label"?)*\\s*\\{`` (the labels in order).
    Labels that start with neither white space nor a quote (every Terraform name) leave the
    pattern one way to match, followed here without compiling it (a compile per block was
    a tenth of a small file's load); any other label, through the pattern."""
    if any(not label or label[0].isspace() or label[0] == '"' for label in labels):
        pattern = re.compile(
            r"^\s*"
            + keyword
            + "".join(r'\s+"?' + re.escape(label) + r'"?' for label in labels)
            + r"\s*\{"
        )
        return lambda text: pattern.match(text) is not None

    def opens(text: str) -> bool:
        at = _skip_space(text, 0)
        if not text.startswith(keyword, at):
            return False
        at += len(keyword)
        for label in labels:
            after = _skip_space(text, at)
            if after == at:
                return False
            at = after + 1 if text.startswith('"', after) else after
            if not text.startswith(label, at):
                return False
            at += len(label)
            if text.startswith('"', at):
                at += 1
        return text.startswith("{", _skip_space(text, at))

    return opens


def _skip_space(text: str, at: int) -> int:
    """The first position from ``at`` on that is not white space (``\\s``)."""
    while at < len(text) and text[at].isspace():
        at += 1
    return at


def _braces(text: str) -> tuple[int, int, str]:
    """Open and close braces outside strings and comments; the line without its comment."""
    opens = closes = 0
    in_str = False
    out = []
    i = 0
    while i < len(text):
        c = text[i]
        if in_str:
            if c == "\\":
                i += 2
                continue
            if c == '"':
                in_str = False
        elif c == '"':
            in_str = True
        elif c == "#" or text.startswith("//", i):
            break
        elif c == "{":
            opens += 1
        elif c == "}":
            closes += 1
        out.append(c)
        i += 1
    return opens, closes, "".join(out)


def _scan_lines(
    source_lines: list[str], start: int, body: dict[str, Any]
) -> tuple[dict[str, int], int | None]:
    """Dotted path -> line for the block starting at ``start`` (1-based); and its end line."""
    lines: dict[str, int] = {}
    stack: list[tuple[str, Any, dict[str, int]]] = []
    heredoc: str | None = None
    for i in range(start - 1, len(source_lines)):
        raw = source_lines[i]
        if heredoc is not None:
            if raw.strip() == heredoc:
                heredoc = None
            continue
        opens, closes, code = _braces(raw)
        hd = re.search(r"<<-?([A-Za-z_]\w*)\s*$", code)
        if i == start - 1:
            stack.append(("", body, {}))
            opens -= 1
        elif stack:
            prefix, node, counts = stack[-1]
            attr, block = _ATTR.match(code), _BLOCK.match(code)
            child_path: str | None = None
            child_node: Any = None
            if attr:
                key = attr.group(1)
                child_path = f"{prefix}.{key}" if prefix else key
                child_node = node.get(key) if isinstance(node, dict) else None
                lines[child_path] = i + 1
            elif block:
                key = block.group(1)
                value = node.get(key) if isinstance(node, dict) else None
                base = f"{prefix}.{key}" if prefix else key
                if isinstance(value, list):
                    n = counts.get(key, 0)
                    counts[key] = n + 1
                    child_path = f"{base}[{n}]"
                    child_node = value[n] if n < len(value) else None
                    lines.setdefault(base, i + 1)
                else:
                    child_path, child_node = base, value
                lines[child_path] = i + 1
            if opens > closes:
                stack.append((child_path or prefix, child_node, {}))
                opens -= 1
                for _ in range(opens - closes):
                    stack.append((child_path or prefix, None, {}))
                opens = closes
        if hd:
            heredoc = hd.group(1)
        for _ in range(max(0, closes - opens)):
            if stack:
                stack.pop()
        if not stack:
            return lines, i + 1
    return lines, None


def _as_port(value: Any) -> Any:
    if isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    return value


def _cidrs(*values: Any) -> list[str]:
    out: list[str] = []
    for value in values:
        if isinstance(value, str):
            out.append(value)
        elif isinstance(value, list):
            out.extend(str(v) for v in value if v is not None)
    return out


def _rule(rule: dict[str, Any], line: int | None, protocol_key: str = "protocol") -> dict[str, Any]:
    if protocol_key == "ip_protocol":
        cidrs = _cidrs(rule.get("cidr_ipv4"), rule.get("cidr_ipv6"))
    else:
        cidrs = _cidrs(rule.get("cidr_blocks"), rule.get("ipv6_cidr_blocks"))
    return {
        "from_port": _as_port(rule.get("from_port")),
        "to_port": _as_port(rule.get("to_port")),
        "protocol": None if rule.get(protocol_key) is None else str(rule.get(protocol_key)),
        "cidrs": cidrs,
        "world_open": any(c in WORLD for c in cidrs),
        "line": line,
    }


def facts_for(kind: str, body: dict[str, Any], lines: dict[str, int]) -> dict[str, Any]:
    """Security-group rules normalized across the three AWS resource styles; policy
    statements and user_data variables (terraform_facts) for the kinds that carry them."""
    if kind not in SG_KINDS:
        return extra_facts(kind, body)
    facts: dict[str, list[dict[str, Any]]] = {"ingress": [], "egress": []}
    if kind == "aws_security_group":
        for direction in ("ingress", "egress"):
            rules = body.get(direction)
            if isinstance(rules, dict):
                rules = [rules]
            for i, rule in enumerate(rules if isinstance(rules, list) else []):
                if isinstance(rule, dict):
                    line = lines.get(f"{direction}[{i}]") or lines.get(direction)
                    facts[direction].append(_rule(rule, line))
    elif kind == "aws_security_group_rule":
        rule_type = body.get("type")
        if isinstance(rule_type, str) and rule_type in facts:
            facts[rule_type].append(_rule(body, lines.get("type")))
    else:
        direction = "ingress" if kind.endswith("ingress_rule") else "egress"
        line = lines.get("cidr_ipv4") or lines.get("cidr_ipv6") or lines.get("from_port")
        facts[direction].append(_rule(body, line, "ip_protocol"))
    return facts


def is_plan(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and "format_version" in value
        and ("planned_values" in value or "values" in value)
    )


def load_plan(value: dict[str, Any], ctx: FileContext) -> list[Resource]:
    root = value.get("planned_values") or value.get("values") or {}
    module = root.get("root_module") if isinstance(root, dict) else None
    if not isinstance(module, dict):
        raise InputError("Terraform plan without a root_module", file=ctx.rel, line=1)
    out: list[Resource] = []
    _plan_module(module, ctx, out)
    config = value.get("configuration")
    providers = config.get("provider_config") if isinstance(config, dict) else None
    for key, provider in (providers or {}).items() if isinstance(providers, dict) else ():
        if not isinstance(provider, dict) or provider.get("module_address"):
            continue  # a provider passed into a child module belongs to its root
        name = str(provider.get("name") or key.partition(".")[0])
        expressions = provider.get("expressions")
        body = {
            k: e.get("constant_value")
            for k, e in (expressions.items() if isinstance(expressions, dict) else ())
            if isinstance(e, dict) and "constant_value" in e
        }
        alias = provider.get("alias")
        suffix = f".{alias}" if isinstance(alias, str) and alias else ""
        if suffix:
            body["alias"] = alias
        out.append(
            ctx.resource(
                id=f"tf:provider.{name}{suffix}",
                kind=f"provider.{name}",
                name=name,
                format="terraform",
                line=1,
                body=body,
            )
        )
    return out


def _plan_module(module: dict[str, Any], ctx: FileContext, out: list[Resource]) -> None:
    for res in module.get("resources") or []:
        if not isinstance(res, dict) or "address" not in res:
            raise InputError("Terraform plan resource without an address", file=ctx.rel, line=1)
        rtype = str(res.get("type", ""))
        kind = f"data.{rtype}" if res.get("mode") == "data" else rtype
        values = res.get("values")
        body: dict[str, Any] = values if isinstance(values, dict) else {}
        out.append(
            ctx.resource(
                id=f"tf:{res['address']}",
                kind=kind,
                name=str(res.get("name", res["address"])),
                format="terraform",
                line=1,
                body=body,
                facts=facts_for(kind, body, {}),
            )
        )
    for child in module.get("child_modules") or []:
        if isinstance(child, dict):
            _plan_module(child, ctx, out)


class TerraformLoader:
    """Terraform: ``*.tf`` files by name; a JSON plan is claimed by content (``is_plan``)
    when its YAML/JSON file is read."""

    kind = "terraform"
    formats: Mapping[str, str] = {"terraform": "*.tf, terraform show -json plan output"}

    def claims(self, name: str) -> bool:
        return name.lower().endswith(".tf")

    def load(self, text: str, ctx: FileContext, *, explicit: bool) -> FileLoad:
        return FileLoad(format="terraform", resources=load(text, ctx))

    def dependencies(self, resource: Resource) -> Iterable[str]:
        return ()

    def secret_values(self, resource: Resource, values: set[str]) -> None:
        """A variable's default (every string in it that is not a reference) when the
        variable is ``sensitive`` or has a secret-looking name."""
        if resource.kind == "terraform_variable" and (
            resource.body.get("sensitive") is True or looks_secret_name(resource.name)
        ):

            def add(s: str) -> None:
                if s.strip() and not is_reference(s):
                    values.add(s)

            strings_of(resource.body.get("default"), add)


LOADER = TerraformLoader()
