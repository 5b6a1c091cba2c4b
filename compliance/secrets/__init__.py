"""Secret detection and masking, in one place.

``detect``: secret-looking names, references, known credential shapes (AWS, GitHub,
Slack, Stripe, GitLab tokens, JWTs, PEM private keys, passwords in URLs).
``collect``: secret values in parsed bodies (the loaders add what their formats make
secret: ``compliance.inputs.registry.collect_secrets``), and ``facts.secret_shapes``.
``mask``/``spans``: masking text (line rules, source spans, known values).
The loaders and the evidence code both import this package; it imports neither.
"""

from compliance.secrets.collect import mark_shapes, secret_shapes
from compliance.secrets.detect import MASK, SHAPES, find_shapes, looks_secret_name, shapes_of
from compliance.secrets.mask import mask_shapes, redact_text

__all__ = [
    "MASK",
    "SHAPES",
    "find_shapes",
    "looks_secret_name",
    "mark_shapes",
    "mask_shapes",
    "redact_text",
    "secret_shapes",
    "shapes_of",
]
