"""Choices shared by the g-methods: when confounders are measured, and which outcome is targeted.

>>> Timing.parse("after").value, OutcomeAt.parse("mean").value
('after', 'mean')
"""

from __future__ import annotations

from facmech._choice import Choice

__all__ = ["OutcomeAt", "Timing"]


class Timing(Choice):
    """When a period's confounders are measured relative to its treatment.

    ``before``: confounders of period t are measured before treatment t (they confound it).
    ``after``: they are measured after it (affected by it), so treatment t reacts to period t - 1,
    as in :mod:`facmech.simulation`, where facilitation follows last period's leadership engagement.
    """

    BEFORE = "before"
    AFTER = "after"


class OutcomeAt(Choice):
    """Which outcome the strategies are compared on.

    ``last``: the outcome in each unit's last period. ``mean``: the mean over all periods of the
    per-period outcome (as :mod:`facmech.simulation`'s ``truth["sustained"]``); per-period
    estimates are reported too.
    """

    LAST = "last"
    MEAN = "mean"


