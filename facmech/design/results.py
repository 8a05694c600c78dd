"""The result of a design study: operating characteristics per cell and estimand.

For each cell of the grid and each estimand, over ``reps`` simulated trials with true value
:math:`\\theta` and estimates :math:`\\hat\\theta_r` (Morris, White & Crowther 2019, Stat Med
38:2074-2102, Table 6, for the Monte Carlo standard errors):

=============  ============================================  =========================================
measure        estimate                                      Monte Carlo SE
=============  ============================================  =========================================
power          share of replicates rejecting 0               :math:`\\sqrt{p(1-p)/R}`
bias           :math:`\\bar{\\hat\\theta} - \\theta`             :math:`s_{\\hat\\theta}/\\sqrt{R}`
rmse           :math:`\\sqrt{\\overline{(\\hat\\theta-\\theta)^2}}` :math:`s_{(\\hat\\theta-\\theta)^2} /
                                                             (2\\,\\mathrm{rmse}\\sqrt{R})`
coverage       share of intervals containing :math:`\\theta`  :math:`\\sqrt{c(1-c)/R}`
width          mean interval width                           :math:`s_w/\\sqrt{R}`
=============  ============================================  =========================================
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from facmech.errors import DesignError

__all__ = ["MEASURES", "StudyResult", "operating_characteristics"]

#: Measures reported per cell and estimand (each with a ``<name>_mc_se`` column).
MEASURES = ("power", "bias", "rmse", "coverage", "width")


def operating_characteristics(cols: Mapping[str, np.ndarray], truth: float) -> dict[str, float]:
    """Power, bias, RMSE, coverage, mean width, empirical and model SE, with Monte Carlo SEs.

    Examples
    --------
    >>> oc = operating_characteristics({"estimate": np.array([0.9, 1.1]),
    ...     "std_error": np.array([0.1, 0.1]), "ci_low": np.array([0.7, 0.9]),
    ...     "ci_high": np.array([1.1, 1.3]), "reject": np.array([True, True])}, truth=1.0)
    >>> round(oc["bias"], 12), oc["coverage"], round(oc["rmse"], 6)
    (0.0, 1.0, 0.1)
    """
    est = np.asarray(cols["estimate"], dtype=float)
    lo = np.asarray(cols["ci_low"], dtype=float)
    hi = np.asarray(cols["ci_high"], dtype=float)
    rej = np.asarray(cols["reject"], dtype=bool)
    n = est.size
    root = math.sqrt(n)
    err2 = (est - truth) ** 2
    power = float(rej.mean())
    cover = float(((lo <= truth) & (truth <= hi)).mean())
    width = hi - lo
    rmse = float(math.sqrt(err2.mean()))
    return {
        "truth": float(truth),
        "power": power,
        "power_mc_se": math.sqrt(power * (1 - power) / n),
        "bias": float(est.mean() - truth),
        "bias_mc_se": float(est.std(ddof=1) / root),
        "rmse": rmse,
        "rmse_mc_se": float(err2.std(ddof=1) / (2 * rmse * root)) if rmse > 0 else 0.0,
        "coverage": cover,
        "coverage_mc_se": math.sqrt(cover * (1 - cover) / n),
        "width": float(width.mean()),
        "width_mc_se": float(width.std(ddof=1) / root),
        "empirical_se": float(est.std(ddof=1)),
        "model_se": float(np.mean(cols["std_error"])),
        "reps": n,
    }


def _clean(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


@dataclass(frozen=True)
class StudyResult:
    """Operating characteristics of every (cell, estimand) of a design study.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per cell and estimand: the grid parameters, ``estimand``, ``truth``, the
        :data:`MEASURES` and their ``*_mc_se``, ``empirical_se``, ``model_se`` and ``reps``.
    grid : Mapping[str, list]
        The grid that was run.
    reps : int
        Replicates per cell.
    seed : int
        Root seed (entropy) of the study; rerunning with it reproduces every number.
    scenario : Mapping
        Description of the base scenario.
    analysis : Mapping
        Description of the analysis.
    assumptions : tuple of Assumption
        The identifying assumptions of the analysed effects in the scenario's map (map-based
        scenarios; :attr:`facmech.design.MapTrial.identification`).
    """

    table: pd.DataFrame
    grid: Mapping[str, list[Any]]
    reps: int
    seed: int
    scenario: Mapping[str, Any] = field(default_factory=dict)
    analysis: Mapping[str, Any] = field(default_factory=dict)
    assumptions: tuple[Any, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "table", self.table.copy())
        object.__setattr__(self, "grid", MappingProxyType(dict(self.grid)))

    @property
    def parameters(self) -> tuple[str, ...]:
        """Grid parameter names (the leading columns of :attr:`table`)."""
        return tuple(self.grid)

    @property
    def estimands(self) -> tuple[str, ...]:
        """Estimand names in order of appearance."""
        return tuple(dict.fromkeys(self.table["estimand"]))

    def to_frame(self) -> pd.DataFrame:
        """A copy of :attr:`table`."""
        return self.table.copy()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``{"cells": [...], "reps": R, "seed": S, "grid": ..., ...}``.

        Each cell entry has the grid parameters, ``estimand``, ``truth``, the measures and
        ``mc_se`` (a mapping measure -> Monte Carlo standard error).
        """
        cells = []
        for row in self.table.to_dict(orient="records"):
            entry = {k: _clean(row[k]) for k in (*self.parameters, "estimand", "truth")}
            entry.update({m: _clean(row[m]) for m in MEASURES})
            entry["mc_se"] = {m: _clean(row[f"{m}_mc_se"]) for m in MEASURES}
            entry["empirical_se"] = _clean(row["empirical_se"])
            entry["model_se"] = _clean(row["model_se"])
            cells.append(entry)
        return {
            "cells": cells,
            "reps": int(self.reps),
            "seed": int(self.seed),
            "grid": {k: [_clean(v) for v in vals] for k, vals in self.grid.items()},
            "scenario": dict(self.scenario),
            "analysis": dict(self.analysis),
            "assumptions": [a.text for a in self.assumptions],
        }

    def summary(self) -> str:
        """Plain-text table of power, bias, RMSE and coverage per cell and estimand."""
        cols = [*self.parameters, "estimand", "power", "bias", "rmse", "coverage", "width"]
        text = self.table[cols].to_string(index=False, float_format=lambda v: f"{v:.3f}")
        return f"design study: {self.reps} replicates per cell, seed {self.seed}\n{text}"

    def _repr_html_(self) -> str:
        cols = [*self.parameters, "estimand", *MEASURES]
        return (
            f"<p>design study: {self.reps} replicates per cell, seed {self.seed}</p>"
            + self.table[cols].to_html(index=False, float_format=lambda v: f"{v:.3f}")
        )

    def __repr__(self) -> str:
        return (
            f"StudyResult({len(self.table)} rows, grid={dict(self.grid)}, reps={self.reps}, "
            f"seed={self.seed})"
        )

    def plot(
        self,
        *,
        x: str = "sites",
        estimands: tuple[str, ...] | None = None,
        ax: Any = None,
        path: str | Path | None = None,
    ) -> Any:
        """Power curves: power against ``x``, one line per estimand (and other grid values).

        Error bars are 95% Monte Carlo intervals (power +/- 1.96 MC SE). Returns the matplotlib
        Figure; saves it to ``path`` if given.
        """
        if x not in self.parameters:
            raise DesignError(
                f"`x` must be a grid parameter of this study ({', '.join(self.parameters)}) "
                f"(got {x!r})"
            )
        import matplotlib.pyplot as plt

        keep = self.estimands if estimands is None else tuple(estimands)
        unknown = [e for e in keep if e not in self.estimands]
        if unknown:
            raise DesignError(
                f"unknown estimand `{unknown[0]}`; this study has {', '.join(self.estimands)}"
            )
        if ax is None:
            fig, ax = plt.subplots(figsize=(6.5, 4.2))
        else:
            fig = ax.figure
        others = [p for p in self.parameters if p != x and len(self.grid[p]) > 1]
        frame = self.table[self.table["estimand"].isin(keep)]
        for key, sub in frame.groupby(["estimand", *others], sort=False):
            key = key if isinstance(key, tuple) else (key,)
            label = str(key[0]) + "".join(f", {p}={v}" for p, v in zip(others, key[1:], strict=True))
            sub = sub.sort_values(x)
            ax.errorbar(
                sub[x], sub["power"], yerr=1.96 * sub["power_mc_se"], marker="o", capsize=3,
                label=label,
            )
        ax.axhline(0.8, color="grey", lw=0.8, ls="--")
        ax.set_ylim(0, 1.02)
        ax.set_xlabel(x)
        ax.set_ylabel("power")
        ax.set_title(f"Simulated power ({self.reps} replicates per point)")
        ax.legend(fontsize=8)
        fig.tight_layout()
        if path is not None:
            fig.savefig(path, dpi=120)
        return fig
