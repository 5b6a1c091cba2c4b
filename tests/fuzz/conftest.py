"""Hypothesis profiles for the fuzz harnesses.

``make test`` runs the ``ci`` profile: few examples per property, so the fuzz tests stay
within their share of the suite's time. ``make fuzz`` sets ``COMPLIANCE_FUZZ=long``: the
same properties with many more examples. No example database is written and hypothesis's
home folder is a temporary one (tests never write the checkout); a failure prints its seed
and the minimal input, to be kept as a case in tests/fuzz/regressions/.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

from hypothesis import HealthCheck, settings
from hypothesis.configuration import set_hypothesis_home_dir

# hypothesis keeps caches (constants, unicode tables) in its home folder, by default
# .hypothesis/ in the working directory: a temporary folder instead, removed at exit
_HOME = tempfile.mkdtemp(prefix="compliance-hypothesis-")
atexit.register(shutil.rmtree, _HOME, ignore_errors=True)
set_hypothesis_home_dir(_HOME)

_COMMON = {
    "deadline": None,
    "database": None,
    "print_blob": True,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
}
settings.register_profile(
    "ci", max_examples=int(os.environ.get("COMPLIANCE_FUZZ_EXAMPLES", "25")), **_COMMON
)  # type: ignore[arg-type]
settings.register_profile(
    "long", max_examples=int(os.environ.get("COMPLIANCE_FUZZ_EXAMPLES", "2000")), **_COMMON
)  # type: ignore[arg-type]
settings.load_profile(os.environ.get("COMPLIANCE_FUZZ", "ci"))
