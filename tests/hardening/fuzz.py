"""Hypothesis settings of the property-based (fuzz) tests of issue 14.

In CI each property runs a fixed, derandomized set of examples sized to take a few seconds; set
``FACMECH_FUZZ`` for a longer local run::

    FACMECH_FUZZ=1 pytest tests/hardening -k fuzz          # 20x the CI examples, random seeds
    FACMECH_FUZZ=50000 pytest tests/hardening -k fuzz      # 50,000 examples per property

The long profile keeps hypothesis's example database (``.hypothesis/``, git-ignored), so a failure
found once is replayed first on the next run.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

__all__ = ["examples", "fuzz_settings"]

_FUZZ = os.environ.get("FACMECH_FUZZ", "").strip()


def examples(ci: int) -> int:
    """Examples per property: ``ci`` in CI, ``20 * ci`` with ``FACMECH_FUZZ=1``, else the number
    ``FACMECH_FUZZ`` gives."""
    if not _FUZZ or _FUZZ == "0":
        return ci
    return 20 * ci if _FUZZ == "1" else max(1, int(_FUZZ))


def fuzz_settings(ci: int) -> settings:
    """Settings of one property: ``ci`` examples, no deadline (2 shared cores make timings
    noisy), derandomized in CI so a run is reproducible."""
    common = dict(
        max_examples=examples(ci),
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                               HealthCheck.filter_too_much],
    )
    if not _FUZZ or _FUZZ == "0":
        return settings(derandomize=True, database=None, print_blob=True, **common)
    return settings(print_blob=True, **common)
