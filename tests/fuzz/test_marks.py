"""The mark tests that decide whether a file or a string is searched for credential shapes
answer as plain substring tests do, on short strings and on texts as long as a file."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from compliance.secrets import collect, detect

PIECES = [
    *detect.TOKEN_MARKS,
    *(mark[:-1] for mark in detect.TOKEN_MARKS),
    *(mark[1:] for mark in detect.TOKEN_MARKS),
    "PRIVATE KEY",
    "PRIVATE",
    "KEY",
    "://",
    "@",
    "\\u0041",
    "\\",
    "\n",
    "\r\n",
    " ",
    "\t",
    "J",
    "Y",
    "e",
    "y",
    "<",
    "x" * 500,
    "key: value\n" * 100,
]
SPACED_PRIVATE_KEY = re.compile(r"PRIVATE\s+KEY")


def _shape_reference(text: str) -> bool:
    return (
        any(mark in text for mark in detect.TOKEN_MARKS)
        or ("://" in text and "@" in text)
        or "PRIVATE KEY" in text
    )


texts = st.lists(st.sampled_from(PIECES), max_size=60).map("".join)


@given(text=texts, filler=st.sampled_from(["", "x" * detect.LONG_TEXT, "Y" * 40]))
def test_mark_tests_are_substring_tests(text: str, filler: str) -> None:
    for t in (text, filler + text, text + filler):
        assert detect.may_hold_token(t) is any(m in t for m in detect.TOKEN_MARKS)
        assert detect.may_hold_shape(t) is _shape_reference(t)
        assert collect.folded_private_key(t) is bool(SPACED_PRIVATE_KEY.search(t))
        expected = (
            _shape_reference(t)
            or bool(collect._ESCAPE.search(t))
            or bool(SPACED_PRIVATE_KEY.search(t))
        )
        assert collect.text_may_hold_shape(t) is expected
