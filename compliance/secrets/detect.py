"""What a secret looks like: secret-looking names, references, and known credential shapes.

One detector for everything that judges a value: the loaders (``facts.secret_shapes``,
read by SEC-03), redaction of evidence and reports, and the collection of secret values
that redaction masks. Nothing here imports the loaders or the evidence code.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any

MASK = "[REDACTED]"
"""What a masked value becomes (in input copies and reports)."""

SECRET_NAME = re.compile(
    r"(?i)(passw(or)?d|passwd|secret|token|api[_-]?key|private[_-]?key|credential|access[_-]?key|auth[_-]?key|client[_-]?key|signing[_-]?key)"
)
NOT_A_VALUE_NAME = re.compile(
    r"(?i)^(secretName|secretKeyRef|secretRef|existingSecret|secretProviderClass|secrets)$"
    r"|(_file|_path|_dir|File|Path|Dir|_length|_len|Length|_ttl|_timeout|_days|_rotation|_required|Required|_enabled|Enabled|_id|Id|_arn|Arn|_permissions|Permissions)$"
    r"|^(automount\w*token|require\w*|\w*_min_\w*|min_\w*|max_\w*)$"
)
NOT_A_SECRET_VALUE = re.compile(
    r"(?i)^(true|false|yes|no|on|off|null|none|~|required|optional|enabled|disabled|auto|default|\[REDACTED\]?|-?\d{1,9}(\.\d+)?|[\[{(])$"
)
REFERENCE = re.compile(
    r"^\s*(\$\{[^}]+\}|\$\([^)]+\)|\$[A-Za-z_][A-Za-z0-9_]*|var\.[\w.]+|local\.[\w.]+"
    r"|/(?:var/)?run/secrets/[^\s]+)\s*$"
)
"""A value naming where the secret comes from: an interpolation, a Terraform variable or
local, a file in the secrets folder that Docker and Kubernetes mount (``/run/secrets/x``)."""

SHAPES: dict[str, str] = {
    "aws-access-key-id": "AWS access key id (AKIA/ASIA...)",
    "github-token": "GitHub token (ghp_, gho_, ghu_, ghs_, ghr_, github_pat_)",
    "slack-token": "Slack token (xoxb-, xoxp-, ...)",
    "stripe-key": "Stripe secret or restricted key (sk_live_, rk_live_, ...)",
    "gitlab-token": "GitLab personal access token (glpat-)",
    "jwt": "JSON Web Token (eyJ...)",
    "private-key": "PEM private key block",
    "url-credentials": "password in a URL (scheme://user:password@host)",
}
"""Every shape ``find_shapes`` reports, with what it is (README, check messages)."""

SECRET_VALUE = re.compile(
    r"(?<![A-Za-z0-9_-])(?:"
    r"(?P<aws>(AKIA|ASIA)[0-9A-Z]{16})"
    r"|(?P<github>gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})"
    r"|(?P<slack>xox[abposr]-[A-Za-z0-9-]{10,})"
    r"|(?P<stripe>(sk|rk)_(live|test)_[A-Za-z0-9]{16,})"
    r"|(?P<gitlab>glpat-[A-Za-z0-9_-]{20,})"
    r"|(?P<jwt>eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,})"
    r")"
)
"""Token shapes, one named group each (``_TOKEN_SHAPE`` maps a group to its shape)."""
_TOKEN_SHAPE = {
    "aws": "aws-access-key-id",
    "github": "github-token",
    "slack": "slack-token",
    "stripe": "stripe-key",
    "gitlab": "gitlab-token",
    "jwt": "jwt",
}
URL_CREDENTIALS = re.compile(
    r"(?P<pre>(?<![a-zA-Z0-9+.-])[a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@'\"]+:)(?P<pw>[^@\s/'\"]+)(?=@)"
)
PEM_BEGIN = re.compile(r"-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY( BLOCK)?-----")
PEM_END = re.compile(r"-----END ([A-Z0-9 ]*)PRIVATE KEY( BLOCK)?-----")
PEM_INLINE = re.compile(
    r"(-----BEGIN [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----)(.*?)(-----END [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----)"
)
_PLACEHOLDER = re.compile(r"^(\$.*|\{\{.*\}\}|%.*|<[^>]*>|\*+|x+|X+|\.+|changeme|password|pass)$")
"""A URL password that is a template, reference or placeholder, not a credential."""


@functools.lru_cache(maxsize=8192)
def looks_secret_name(name: str) -> bool:
    """A name under which a literal value is a secret (``DB_PASSWORD``, ``api_key``), but
    not one naming a setting about secrets (``secretName``, ``PASSWORD_FILE``)."""
    return bool(SECRET_NAME.search(name)) and not NOT_A_VALUE_NAME.search(name)


def is_reference(value: str) -> bool:
    return bool(REFERENCE.match(value))


def secret_literal(name: str, value: Any) -> bool:
    """A non-blank string under a secret-looking name that is neither a reference nor a
    flag or number. ``isspace`` is ``strip() == ""`` without copying the string."""
    if not isinstance(value, str) or not value or value.isspace() or not looks_secret_name(name):
        return False
    return not is_reference(value) and not NOT_A_SECRET_VALUE.match(value.strip())


TOKEN_MARKS = (
    "AKIA",
    "ASIA",
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "github_pat_",
    "xox",
    "k_live_",
    "k_test_",
    "glpat-",
    "eyJ",
)
"""Literal text every SECRET_VALUE match contains: a string with none of these cannot match,
so the (slow, per-position) token pattern runs only on strings that have one."""


def _mark_tests(
    marks: Sequence[str],
) -> tuple[tuple[str, ...], tuple[Callable[[str], re.Match[str] | None], ...]]:
    """The marks searched for as they are, and the marks that share their first two
    characters with another as one pattern each (the regex engine finds the shared prefix
    with a fast literal search; an alternation of every mark, whose first characters
    include ``e`` and ``g``, is tried at almost every position of a megabyte of dashboard
    JSON)."""
    groups: dict[str, list[str]] = {}
    for mark in marks:
        groups.setdefault(mark[:2], []).append(mark)
    alone = tuple(group[0] for group in groups.values() if len(group) == 1)
    shared = tuple(
        re.compile("|".join(map(re.escape, group))).search
        for group in groups.values()
        if len(group) > 1
    )
    return alone, shared


MARKS_ALONE, MARK_SEARCHES = _mark_tests(TOKEN_MARKS)


def found_by_anchor(mark: str, anchor: str, tries: int = 16) -> Callable[[str], bool]:
    """``mark in text``, for a ``mark`` holding a character (``anchor``) that is rare in
    manifests: its occurrences are found with ``str.find`` (memchr: many times faster than
    a search for several characters) and ``mark`` is tested at each; after ``tries`` of
    them, the rest of the text is searched for ``mark`` itself."""
    offset = mark.index(anchor)

    def found(text: str) -> bool:
        at = text.find(anchor, offset)
        for _ in range(tries):
            if at < 0:
                return False
            if text.startswith(mark, at - offset):
                return True
            at = text.find(anchor, at + 1)
        return at >= 0 and text.find(mark, at - offset) >= 0

    return found


LONG_TEXT = 4096
"""From this length on (a whole file rather than one value), ``may_hold_token`` and
``may_hold_shape`` pass over the text once per ``TEXT_SEARCHES`` entry instead of once per
mark: a few compiled patterns, each over a literal first character that the regex engine
scans for, and ``eyJ`` through its rare ``J``. Per short string the plain ``in`` tests cost
less than a pattern's call."""
TEXT_SEARCHES: tuple[tuple[tuple[str, ...], Callable[[str], object]], ...] = (
    (("AKIA", "ASIA"), re.compile("A[KS]IA").search),
    (
        ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
        re.compile("gh[pousr]_|github_pat_").search,
    ),
    (("xox",), re.compile("xox").search),
    (("k_live_", "k_test_"), re.compile("k_(?:live|test)_").search),
    (("glpat-",), re.compile("glpat-").search),
    (("eyJ",), found_by_anchor("eyJ", "J")),
)
"""Each entry: the ``TOKEN_MARKS`` it finds, and a test that is true exactly when the text
holds one of them."""
_PRIVATE_KEY_IN_TEXT = found_by_anchor("PRIVATE KEY", "Y")


def may_hold_token(text: str) -> bool:
    """Whether ``text`` holds one of ``TOKEN_MARKS``."""
    if len(text) >= LONG_TEXT:
        # a loop, not ``any`` over a generator: called for every string loaded
        for _, test in TEXT_SEARCHES:  # noqa: SIM110
            if test(text):
                return True
        return False
    for mark in MARKS_ALONE:
        if mark in text:
            return True
    for search in MARK_SEARCHES:  # noqa: SIM110
        if search(text):
            return True
    return False


def may_hold_shape(text: str) -> bool:
    """False when ``find_shapes(text)`` is certainly empty (substring tests only; ``@``
    first: one character is searched for with memchr, and is rare)."""
    if may_hold_token(text) or ("@" in text and "://" in text):
        return True
    return _PRIVATE_KEY_IN_TEXT(text) if len(text) >= LONG_TEXT else "PRIVATE KEY" in text


def url_reference(password: str) -> bool:
    """A URL's password that names where the value comes from (``${DB_PASSWORD}``,
    ``$DB_PASSWORD``, ``{{ .Values.password }}``), not a value: neither collected as a
    secret nor masked."""
    return is_reference(password) or (password.startswith("{{") and password.endswith("}}"))


def url_password_is_literal(password: str) -> bool:
    return not _PLACEHOLDER.match(password) and not is_reference(password)


def find_shapes(text: str) -> Iterator[tuple[str, int, int]]:
    """(shape, start, end) of every known credential shape in ``text``."""
    if may_hold_token(text):
        for m in SECRET_VALUE.finditer(text):
            group = next(name for name, found in m.groupdict().items() if found is not None)
            yield _TOKEN_SHAPE[group], m.start(), m.end()
    if "://" in text and "@" in text:
        for m in URL_CREDENTIALS.finditer(text):
            if url_password_is_literal(m.group("pw")):
                yield "url-credentials", m.start("pw"), m.end("pw")
    if "PRIVATE KEY" in text:
        for m in PEM_BEGIN.finditer(text):
            end = PEM_END.search(text, m.end())
            yield "private-key", m.start(), end.end() if end else len(text)


def shapes_of(text: str) -> list[str]:
    """The distinct shapes in ``text``, in a fixed order."""
    if not may_hold_shape(text):
        return []
    return sorted({shape for shape, _, _ in find_shapes(text)})
