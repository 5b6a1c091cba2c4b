"""Self-contained HTML report for auditors (inline CSS and script, no external assets)."""

from __future__ import annotations

from compliance.formats.view import BundleInfo, context, environment
from compliance.model import Report


def render(report: Report, *, bundle: BundleInfo | None = None) -> str:
    """The report as one HTML file. With ``bundle``, it names the signer's key id and, when
    ``bundle.members`` is given (the copy inside the bundle), links each ``file:line`` to
    the bundled input."""
    template = environment(autoescape=True).get_template("report.html.j2")
    return template.render(**context(report, bundle))
