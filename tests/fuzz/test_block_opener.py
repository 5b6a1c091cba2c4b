"""Terraform block lines are found without compiling a pattern per block, with the same
answers as the pattern."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from compliance.inputs import terraform


def _block_pattern(keyword: str, labels: list[str]) -> re.Pattern[str]:
    return re.compile(
        r"^\s*"
        + keyword
        + "".join(r'\s+"?' + re.escape(label) + r'"?' for label in labels)
        + r"\s*\{"
    )


LINE_PIECES = ["resource", "data", "aws_s3_bucket", "aws_s3", "b", "b-1", '"', " ", "\t"]
LINE_PIECES += ["\u00a0", "\x1c", "{", "}", "#", "=", "_bucket", "x", '"a b"', "\\"]
LABELS = ["aws_s3_bucket", "aws_s3", "b", "b-1", "a b", " lead", '"q', "x{", "_", "aws_s3_"]


@given(
    keyword=st.sampled_from(["resource", "data", "variable"]),
    labels=st.lists(st.sampled_from(LABELS), max_size=3),
    line=st.lists(st.sampled_from(LINE_PIECES), max_size=14).map("".join),
)
def test_a_block_opener_is_its_pattern(keyword: str, labels: list[str], line: str) -> None:
    """``terraform.block_opener`` (followed without compiling where the labels allow it)
    answers as the pattern does, on random lines and on the line that opens the block."""
    opens = terraform.block_opener(keyword, labels)
    pattern = _block_pattern(keyword, labels)
    quoted = " ".join(f'"{label}"' for label in labels)
    bare = " ".join(labels)
    for text in (line, f"{keyword} {quoted} {{", f"  {keyword}\t{bare}{{ # x", keyword + line):
        assert opens(text) is (pattern.match(text) is not None), (keyword, labels, text)
