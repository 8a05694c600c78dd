"""Refutation results: one record for every refuter, whichever estimator it re-runs.

A refuter re-runs an estimator on perturbed data and compares (DoWhy's pipeline, Sharma & Kiciman
2020): a placebo treatment should give no effect; an added random common cause, or a random subset
of the data, should not move the estimate. Total effects are refuted by DoWhy's own refuters on the
hand-over of facmech's identification (:meth:`facmech.identification.dowhy_handover.DoWhyHandover.refute`);
mediation effects by facmech's design-level refuters (:func:`facmech.mediation.refute.refute`,
which perturb whole sites). Both return a :class:`Refutation`, judged with DoWhy's significance
test (:func:`judge`).

>>> import pandas as pd
>>> r = Refutation(pd.DataFrame({"refuter": ["data_subset"], "effect": ["total"],
...                              "estimate": [0.5], "new_effect": [0.49], "p_value": [0.4],
...                              "passed": [True]}).set_index(["refuter", "effect"]), 20)
>>> r.passed
True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from types import SimpleNamespace

import pandas as pd

__all__ = ["Refutation", "judge"]


@dataclass(frozen=True, eq=False)
class Refutation:
    """Refutation results: one row per (refuter, effect) with columns ``estimate`` (original),
    ``new_effect`` (mean over simulations), ``p_value`` (DoWhy's significance test) and
    ``passed``."""

    frame: pd.DataFrame
    simulations: int

    def to_frame(self) -> pd.DataFrame:
        return self.frame.copy()

    @property
    def passed(self) -> bool:
        """Whether every refutation passed."""
        return bool(self.frame["passed"].all())

    def to_dict(self) -> dict:
        """``{"simulations", "passed", "rows": [...]}`` (JSON-ready)."""
        rows = self.frame.reset_index().to_dict(orient="records")
        return {"simulations": int(self.simulations), "passed": self.passed,
                "rows": [{k: (v.item() if hasattr(v, "item") else v) for k, v in r.items()}
                         for r in rows]}

    def summary(self) -> str:
        return f"Refutation tests ({self.simulations} simulations each)\n" + self.frame.to_string(
            float_format=lambda v: f"{v:.4f}"
        )

    def __str__(self) -> str:
        return self.summary()


def judge(original: float, values: Sequence[float], *, placebo: bool, alpha: float,
          original_p_value: float | None = None) -> tuple[float, bool]:
    """``(p_value, passed)`` of one refutation by DoWhy's ``test_significance`` (normal test below
    100 simulations, bootstrap test otherwise).

    A placebo passes when the original estimate differs significantly from the placebo
    distribution (or is itself not significant, ``original_p_value > alpha``); the other refuters
    pass when the original estimate is consistent with the perturbed ones.
    """
    from dowhy.causal_refuter import test_significance

    from facmech._dowhy import quiet

    with quiet():
        test = test_significance(SimpleNamespace(value=original), list(values),
                                 significance_level=alpha)
    significant = bool(test["is_statistically_significant"])
    if placebo:
        passed = significant or (original_p_value is not None and original_p_value > alpha)
    else:
        passed = not significant
    return float(test["p_value"]), passed
