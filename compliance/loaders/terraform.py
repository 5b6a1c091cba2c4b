"""Placeholder until the loader lands."""
def load(text, ctx):  # type: ignore[no-untyped-def]
    raise NotImplementedError
def is_plan(value):  # type: ignore[no-untyped-def]
    return False
def load_plan(value, ctx):  # type: ignore[no-untyped-def]
    raise NotImplementedError
