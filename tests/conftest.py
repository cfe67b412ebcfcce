"""Test-suite settings.

Under CI (the CI environment variable is set) Hypothesis runs derandomized, so that a
submission's result does not depend on which random examples one run happens to draw;
locally it explores new examples on every run.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
