"""The layout of the check library the README's "Rego contract" describes: one package per
check under ``policies/checks/<area>/<id>.rego`` with its METADATA at package scope, the
violations naming only that check, helpers shared through ``lib`` and never copied between
check modules, and lib sub-packages that refer to ``compliance.lib`` by its full path."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

from compliance.policy.packs import load_library

CHECKS = Path(__file__).resolve().parents[2] / "policies" / "checks"
_PACKAGE = re.compile(r"^package\s+([\w.]+)", re.MULTILINE)
_CHECK_LITERAL = re.compile(r'"check"\s*:\s*"([^"]+)"')
_TOP_LEVEL = re.compile(r"^([A-Za-z_]\w*)", re.MULTILINE)


def check_modules() -> list[Path]:
    return sorted(p for p in CHECKS.glob("*/*.rego") if p.parent.name != "lib")


def statements(source: str) -> list[tuple[str, str]]:
    """Top-level statements as (rule name, text without comments); ``else`` stays with its rule."""
    out: list[tuple[str, str]] = []
    for line in source.splitlines():
        if line.lstrip().startswith("#") or not line.strip():
            continue
        match = _TOP_LEVEL.match(line)
        if match and match.group(1) != "else":
            out.append((match.group(1), line))
        elif out:
            out[-1] = (out[-1][0], out[-1][1] + "\n" + line)
    return [(n, t) for n, t in out if n not in ("package", "import")]


def test_every_check_is_one_module_of_its_own_package_with_metadata_above_it() -> None:
    library = load_library(CHECKS.parent)
    modules = check_modules()
    assert len(modules) == len(library.checks) >= 27
    for path in modules:
        source = path.read_text()
        (package,) = _PACKAGE.findall(source)
        assert package == f"compliance.checks.{path.stem}", path
        (meta,) = [m for m in library.checks.values() if m.module.endswith(path.name)]
        assert meta.id.lower().replace("-", "_") == path.stem
        assert meta.module == path.relative_to(CHECKS.parent).as_posix()
        assert path.parent.name == path.stem.split("_")[0]
        # package scope: the METADATA block is above the package line, and there is one
        assert source.count("# METADATA") == 1
        assert source.index("# METADATA") < source.index("\npackage ")
        assert set(_CHECK_LITERAL.findall(source)) == {meta.id}, path


def test_no_helper_is_copied_between_check_modules() -> None:
    seen: dict[str, list[str]] = defaultdict(list)
    for path in check_modules():
        for name, text in statements(path.read_text()):
            if name != "violations":
                seen[text].append(path.name)
    copies = {text.splitlines()[0]: paths for text, paths in seen.items() if len(paths) > 1}
    assert copies == {}


def test_lib_sub_packages_refer_to_the_lib_package_by_its_full_path() -> None:
    libs = sorted((CHECKS / "lib").glob("*.rego"))
    assert libs
    for path in libs:
        source = path.read_text()
        assert _PACKAGE.findall(source) == [f"compliance.lib.{path.stem}"]
        assert "import data.compliance.lib\n" not in source
        assert "violations" not in {name for name, _ in statements(source)}
        code = re.sub(r"#.*", "", source)
        assert not re.search(r"(?<![\w.])lib\.", code), path


def test_the_lib_package_keeps_its_rules_in_one_file() -> None:
    """Functions of ``compliance.lib`` may be in any of its files; rules only in lib.rego."""
    for path in sorted(CHECKS.glob("lib_*.rego")):
        for name, text in statements(path.read_text()):
            head = text.splitlines()[0]
            assert re.match(rf"^{name}\(", head), f"{path.name}: rule {name} outside lib.rego"
