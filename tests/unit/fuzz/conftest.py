"""Hypothesis profiles of the fuzz tests: bounded and reproducible in CI, long for ``make soak``.

``fuzz`` (the default) runs 100 examples per property with a fixed seed
(``derandomize``), so a CI failure reproduces on any machine, and no
deadline, because a loaded 2-core CI box makes timings meaningless.
``HYPOTHESIS_PROFILE=soak`` runs 20,000 random examples per property.

The profiles apply to the tests of this directory only, as the decorator
:data:`FUZZ` (re-exported by ``support``): loading one globally would change
every other hypothesis test of the suite.
"""

import os

from hypothesis import HealthCheck, settings

_COMMON = {
    "deadline": None,
    "suppress_health_check": (HealthCheck.too_slow, HealthCheck.data_too_large),
    "print_blob": True,
}

settings.register_profile("fuzz", max_examples=100, derandomize=True, database=None, **_COMMON)
settings.register_profile("soak", max_examples=20_000, **_COMMON)

#: The settings every fuzz test runs with: ``soak`` when asked for, else ``fuzz``.
FUZZ = settings.get_profile("soak" if os.environ.get("HYPOTHESIS_PROFILE") == "soak" else "fuzz")
