"""``FileContext.resource`` builds, without validation, what validation builds; a value of
the wrong type is still refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pydantic
import pytest

from compliance.inputs import LoadOptions, load_paths
from compliance.inputs.base import FileContext
from compliance.model import Resource, Source

ROOT = Path(__file__).resolve().parents[3]
CTX = FileContext(Path("k8s/web.yaml"), "k8s/web.yaml", LoadOptions(env={}))


def _fields(r: Resource) -> dict[str, Any]:
    return {
        "id": r.id,
        "kind": r.kind,
        "name": r.name,
        "namespace": r.namespace,
        "format": r.source.format,
        "line": r.source.line,
        "end_line": r.source.end_line,
        "body": r.body,
        "facts": r.facts,
        "lines": r.lines,
    }


def _validated(ctx: FileContext, fields: dict[str, Any]) -> Resource:
    return Resource(
        id=fields["id"],
        kind=fields["kind"],
        name=fields["name"],
        namespace=fields["namespace"],
        source=Source(
            file=ctx.rel,
            line=fields["line"],
            end_line=fields["end_line"],
            format=fields["format"],
        ),
        body=fields["body"],
        facts=fields["facts"],
        lines=fields["lines"],
    )


def test_every_loaded_resource_equals_its_validated_build() -> None:
    """Each loader's resources (examples and fixtures: every format), rebuilt through
    ``FileContext.resource``, equal the model validation builds from the same values:
    fields, fields set, and dicts that are copies, not the values passed."""
    loaded = load_paths([str(ROOT / "examples"), str(ROOT / "tests" / "fixtures")], LoadOptions())
    assert {r.source.format for r in loaded.resources} >= {
        "k8s",
        "dockerfile",
        "compose",
        "terraform",
        "securityconfig",
    }
    for r in loaded.resources:
        ctx = FileContext(Path(r.source.file), r.source.file, LoadOptions(env={}))
        fields = _fields(r)
        built = ctx.resource(**fields)
        expected = _validated(ctx, fields)
        assert built == expected
        assert built.model_fields_set == expected.model_fields_set
        assert built.source.model_fields_set == expected.source.model_fields_set
        assert built.lines == expected.lines
        assert built.body is not r.body and built.lines is not r.lines


def test_a_row_builds_back_the_resource_it_was_made_from() -> None:
    """``Resource.from_row`` (how a load worker's resources and cached ones come back)
    equals the resource, fields set included, for every format."""
    loaded = load_paths([str(ROOT / "examples"), str(ROOT / "tests" / "fixtures")], LoadOptions())
    for r in loaded.resources:
        back = Resource.from_row(r.to_row())
        assert back == r
        assert back.model_fields_set == r.model_fields_set
        assert back.source.model_fields_set == r.source.model_fields_set
        assert back.lines == r.lines


def test_defaults_are_fresh_and_equal() -> None:
    built = CTX.resource(id="k8s:v1/Pod:web", kind="Pod", name="web", format="k8s", line=1, body={})
    expected = Resource(
        id="k8s:v1/Pod:web",
        kind="Pod",
        name="web",
        source=Source(file=CTX.rel, line=1, format="k8s"),
        body={},
    )
    assert built == expected
    assert built.facts == {} and built.lines == {}


@pytest.mark.parametrize(
    "bad",
    [
        {"name": 5},
        {"namespace": 3},
        {"format": "helm"},
        {"line": "1x"},
        {"body": {1: "a"}},
        {"facts": {("a",): 1}},
        {"lines": [("a", 1)]},
    ],
)
def test_a_value_of_the_wrong_type_is_refused(bad: dict[str, Any]) -> None:
    """What validation refuses is refused still (the loaders turn it into an error of the
    file), as it was when every resource was validated."""
    fields: dict[str, Any] = {
        "id": "k8s:v1/Pod:web",
        "kind": "Pod",
        "name": "web",
        "format": "k8s",
        "line": 1,
        "body": {"a": 1},
        **bad,
    }
    with pytest.raises(pydantic.ValidationError):
        CTX.resource(**fields)
