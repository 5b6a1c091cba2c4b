"""python-hcl2's LALR parser, built once per process and kept in the result cache folder.

``hcl2.parser.parser()`` caches the compiled grammar next to its own module, in
site-packages; on a read-only install that write fails and every run compiles the grammar
again (about 1.4 s on one core). We build the same parser (same grammar file, options and
post-lexer) and keep its tables as JSON in the cache folder the CLI uses (``use_cache_dir``):
JSON, not lark's pickle, so that a planted cache file cannot run code. A run without the
result cache keeps it in the user's cache folder instead (``user_cache_dir``). A missing, stale
(other lark or python-hcl2 version, other grammar) or damaged file is rebuilt and rewritten;
a folder we cannot write to only costs the build. Forked load workers inherit a parser
built before the fork (``parser()`` is memoised per process). lark is imported on first use.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import tempfile
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lark import Lark

FORMAT = 1
"""Version of the file layout below; part of the cache key."""
_DICT = "\x00dict"
_TUPLE = "\x00tuple"

_cache_dir: Path | None = None


def use_cache_dir(path: Path | None) -> None:
    """Where the compiled grammar is read from and written to (None: build in memory only)."""
    global _cache_dir
    _cache_dir = path


def user_cache_dir() -> Path | None:
    """Where a run without the result cache (``--no-cache``) keeps the compiled grammar:
    ``$XDG_CACHE_HOME/compliance-rego``, else ``~/.cache/compliance-rego``; None without a
    home folder. The grammar derives from installed code only, never from inputs."""
    base = os.environ.get("XDG_CACHE_HOME")
    if base:
        return Path(base) / "compliance-rego"
    try:
        return Path.home() / ".cache" / "compliance-rego"
    except RuntimeError:
        return None


def _grammar_file() -> Path:
    import hcl2.parser

    return Path(hcl2.parser.__file__).resolve().parent / "hcl2.lark"


@functools.cache
def cache_key() -> str:
    """Digest of everything the compiled tables depend on."""
    h = hashlib.sha256()
    h.update(_grammar_file().read_bytes())
    for dist in ("lark", "python-hcl2"):
        h.update(f"\0{dist}={metadata.version(dist)}".encode())
    h.update(f"\0format={FORMAT}".encode())
    return h.hexdigest()


def cache_path(folder: Path) -> Path:
    return folder / f"hcl2-grammar-{cache_key()[:16]}.json"


def _options() -> dict[str, Any]:
    from hcl2.postlexer import PostLexer

    return {"propagate_positions": True, "postlex": PostLexer()}


def build() -> Lark:
    """The parser as python-hcl2 builds it, without its site-packages cache file."""
    import hcl2.parser
    from lark import Lark

    return Lark.open(
        "hcl2.lark", parser="lalr", rel_to=hcl2.parser.__file__, **_options(), cache=False
    )


def _encode(value: Any) -> Any:
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value):
            return {k: _encode(v) for k, v in value.items()}
        return {_DICT: [[_encode(k), _encode(v)] for k, v in value.items()]}
    if isinstance(value, tuple):
        return {_TUPLE: [_encode(v) for v in value]}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    return value


def _decode_object(value: dict[str, Any]) -> Any:
    """``json.loads``' object hook undoing ``_encode`` (objects come innermost first, so
    a tuple used as a key is a tuple again before its dict is built)."""
    if _DICT in value:
        return {k: v for k, v in value[_DICT]}
    if _TUPLE in value:
        return tuple(value[_TUPLE])
    return value


def dumps(parser: Lark) -> str:
    """The parser's tables as sealed JSON: a header line (key, body digest), then the body."""
    from lark.grammar import Rule
    from lark.lexer import TerminalDef

    data, memo = parser.memo_serialize([TerminalDef, Rule])
    data["options"] = {**data["options"], "postlex": None}  # an object: given again on load
    body = json.dumps(_encode({"data": data, "memo": memo}), separators=(",", ":"))
    header = {"key": cache_key(), "sha256": hashlib.sha256(body.encode()).hexdigest()}
    return json.dumps(header) + "\n" + body


def loads(text: str) -> Lark | None:
    """The parser from ``dumps`` output, or None when it is stale or damaged."""
    head, sep, body = text.partition("\n")
    try:
        header = json.loads(head)
    except ValueError:
        return None
    if (
        not sep
        or not isinstance(header, dict)
        or header.get("key") != cache_key()
        or header.get("sha256") != hashlib.sha256(body.encode()).hexdigest()
    ):
        return None
    from lark import Lark

    try:
        tables = json.loads(body, object_hook=_decode_object)
        loaded: Lark = Lark._load_from_dict(  # type: ignore[no-untyped-call]
            tables["data"], tables["memo"], **_options()
        )
    except Exception:  # a well-sealed file lark still rejects: rebuild it
        return None
    return loaded


def _read(path: Path) -> Lark | None:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    return loads(text)


def _write(path: Path, parser: Lark) -> None:
    """Best effort, atomic: a folder we cannot write only means the next run builds too."""
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".hcl2-grammar-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(dumps(parser))
            os.replace(tmp, path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)


@functools.lru_cache(maxsize=1)
def parser() -> Lark:
    """The HCL2 parser of this process: from the cache folder when it holds a valid copy."""
    folder = _cache_dir
    if folder is not None:
        path = cache_path(folder)
        cached = _read(path)
        if cached is not None:
            return cached
        built = build()
        _write(path, built)
        return built
    return build()


def parse(text: str) -> Any:
    """``hcl2.loads`` (without serialization options applied) through our parser."""
    from hcl2.api import transform

    # python-hcl2 appends a newline too: its grammar needs one at the end of the input
    return transform(parser().parse(text + "\n"))
