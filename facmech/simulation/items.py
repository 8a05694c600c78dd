r"""The measurement model of a staff-survey construct: its items, their loadings and noise.

A site-level construct (leadership engagement, trust, ...) is measured in every site-period by a
survey of ``staff_per_site`` staff, each answering :math:`L` items. Respondent :math:`r` of
site-period :math:`(i, t)` answers item :math:`l` with

.. math::

    x_{itrl} = \lambda_l\,(\eta_{it} + u_{itr}) + e_{itrl},\qquad
    u_{itr} \sim N(0, \tau^2),\; e_{itrl} \sim N(0, \sigma_l^2),

a two-level factor model with the same loadings at both levels (the site-period value
:math:`\eta_{it}` is the construct's true value in the simulator). A respondent's *scale score* is
the item mean divided by the mean loading, :math:`s_{itr} = \bar x_{itr\cdot} / \bar\lambda`, so
that :math:`E[s_{itr} \mid \eta_{it}] = \eta_{it}`; with loadings averaging 1 (the packaged
scenarios) it is simply the item mean. The scenario's ``staff_sd`` is the SD of a scale score around
its site-period value, which fixes the respondent variance

.. math::

    \tau^2 = \mathrm{staff\_sd}^2 - \sum_l \sigma_l^2 / (L\bar\lambda)^2 \ \ge 0 .

The site-period survey mean of the scale scores therefore has error variance
:math:`\mathrm{staff\_sd}^2 / n` whatever the items, as in the single-table output of the simulator.

>>> items = SurveyItems(loadings=(1.1, 1.0, 0.9), noise_sd=(0.5, 0.6, 0.7))
>>> round(items.item_error_variance, 4), round(items.respondent_variance(1.0), 4)
(0.1222, 0.8778)
>>> SurveyItems(loadings=(1.0, -0.5), noise_sd=(0.5, 0.5))
Traceback (most recent call last):
...
facmech.errors.DesignError: `survey_items.loadings` must be positive finite numbers (got [1.0, -0.5])
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from facmech.errors import DesignError

__all__ = ["SurveyItems"]


@dataclass(frozen=True, kw_only=True)
class SurveyItems:
    """Items of one survey construct: ``loadings`` and item ``noise_sd`` (one value per item)."""

    loadings: tuple[float, ...] = (1.1, 1.0, 0.9)
    noise_sd: tuple[float, ...] = (0.5, 0.6, 0.7)

    def __post_init__(self) -> None:
        lam = _floats(self.loadings, "survey_items.loadings")
        sd = _floats(self.noise_sd, "survey_items.noise_sd")
        if not lam or any(v <= 0 for v in lam):
            raise DesignError(
                f"`survey_items.loadings` must be positive finite numbers (got {list(lam)})"
            )
        if any(v < 0 for v in sd):
            raise DesignError(f"`survey_items.noise_sd` must be finite and >= 0 (got {list(sd)})")
        if len(sd) != len(lam):
            raise DesignError(
                f"`survey_items`: {len(lam)} loadings but {len(sd)} noise SDs; give one of each "
                "per item"
            )
        object.__setattr__(self, "loadings", lam)
        object.__setattr__(self, "noise_sd", sd)

    @property
    def n_items(self) -> int:
        """Number of items."""
        return len(self.loadings)

    @property
    def scale_weights(self) -> tuple[float, ...]:
        """Weights of the items in the scale score (item mean over mean loading)."""
        total = sum(self.loadings)
        return tuple(1.0 / total for _ in self.loadings)

    @property
    def item_error_variance(self) -> float:
        """Variance of a scale score from item noise alone, :math:`\\sum_l \\sigma_l^2/(L\\bar\\lambda)^2`."""
        return sum(s * s for s in self.noise_sd) / sum(self.loadings) ** 2

    def respondent_variance(self, staff_sd: float) -> float:
        """:math:`\\tau^2` for a scale-score SD of ``staff_sd`` (DesignError when negative)."""
        tau2 = staff_sd**2 - self.item_error_variance
        if tau2 < -1e-12:
            raise DesignError(
                f"`survey_items`: the item noise alone gives a scale score SD of "
                f"{math.sqrt(self.item_error_variance):.4g}, more than `staff_sd` = {staff_sd}; "
                "lower the item `noise_sd` or raise `staff_sd`"
            )
        return max(0.0, tau2)

    def to_dict(self) -> dict[str, list[float]]:
        """Plain data (YAML-ready)."""
        return {"loadings": list(self.loadings), "noise_sd": list(self.noise_sd)}

    @classmethod
    def parse(cls, value: Any, what: str = "survey_items") -> SurveyItems:
        """Accept a :class:`SurveyItems` or a mapping with ``loadings`` and ``noise_sd``."""
        if isinstance(value, SurveyItems):
            return value
        if not isinstance(value, Mapping):
            raise DesignError(
                f"`{what}` must be a mapping with `loadings` and `noise_sd` lists (got {value!r})"
            )
        unknown = sorted(set(value) - {"loadings", "noise_sd"})
        if unknown:
            raise DesignError(
                f"`{what}`: unknown key {unknown[0]!r}; allowed: loadings, noise_sd"
            )
        return cls(**{k: tuple(_floats(v, f"{what}.{k}")) for k, v in value.items()})


def _floats(value: Any, what: str) -> tuple[float, ...]:
    items = [value] if isinstance(value, (int, float)) else value
    try:
        out = tuple(float(v) for v in items if not isinstance(v, bool))
        if len(out) != len(items):
            raise TypeError
    except (TypeError, ValueError):
        raise DesignError(f"`{what}` must be a list of numbers (got {value!r})") from None
    if not all(math.isfinite(v) for v in out):
        raise DesignError(f"`{what}` must be finite numbers (got {list(out)})")
    return out
