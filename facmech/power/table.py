"""Closed-form power over a grid of sizes: the analytic counterpart of a design study.

:func:`power_table` evaluates :func:`~facmech.power.crt_power` or
:func:`~facmech.power.stepped_wedge_power` (total effect) and, for a parallel trial with site-level
mediators, :func:`~facmech.power.mediation_221_power` (joint-significance power of each indirect
effect), for every combination of sites, patients, ICC and (stepped wedge) steps/periods.

>>> power_table(design="parallel", sites=[20, 40], patients=[15], effect=0.629, icc=[0.17])[
...     ["sites", "estimand", "power"]].round(3)
   sites estimand  power
0     20    total  0.800
1     40    total  0.983
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from facmech.errors import DesignError
from facmech.power.crt import crt_power
from facmech.power.mediation_cluster import mediation_221_power
from facmech.power.stepped_wedge import stepped_wedge_power

__all__ = ["plot_power_table", "power_table"]

_DESIGNS = ("parallel", "stepped-wedge")


def _values(name: str, value: Any) -> list[Any]:
    if value is None:
        return [None]
    vals = list(value) if isinstance(value, (list, tuple)) else [value]
    if not vals:
        raise DesignError(f"`{name}` is an empty list; give at least one value")
    return vals


def power_table(
    *,
    design: str,
    sites: Sequence[int],
    patients: Sequence[int] | int,
    effect: float,
    icc: Sequence[float] | float | None = None,
    steps: Sequence[int] | int | None = None,
    periods: Sequence[int] | int | None = None,
    tau: float | None = None,
    baseline_risk: float | None = None,
    mediators: Sequence[tuple[str, float, float]] = (),
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Analytic power for every combination of the listed sizes.

    Parameters
    ----------
    design : {"parallel", "stepped-wedge"}
        Trial design.
    sites, patients, icc, steps, periods : value or list
        Sizes; every combination is evaluated (``patients`` per site, per period for a stepped
        wedge).
    effect : float
        Direct effect ``c'`` of the strategy; the total effect is ``effect + sum(a * b)`` over the
        mediators (just ``effect`` without mediators).
    tau, baseline_risk : float, optional
        Stepped wedge only: between-site SD and a binary outcome's control risk (see
        :func:`~facmech.power.stepped_wedge_power`).
    mediators : sequence of (name, a, b)
        Parallel only: standardized paths of site-level mediators (2-2-1 power per mediator, in
        PowerUpR's standardization).
    alpha : float
        Two-sided level.

    Returns
    -------
    pandas.DataFrame
        One row per combination and estimand: sizes, ``estimand``, ``power``, ``std_error``,
        ``method``.
    """
    kind = str(design).lower().replace("_", "-")
    if kind not in _DESIGNS:
        hint = " (no closed form exists for SMART designs; use a simulated design study)" if (
            kind == "smart"
        ) else ""
        raise DesignError(
            f"`design` must be one of {', '.join(map(repr, _DESIGNS))} for analytic power "
            f"(got {design!r}){hint}"
        )
    if kind == "stepped-wedge":
        if mediators:
            raise DesignError(
                "no closed form exists for mediated paths in a stepped-wedge trial; drop the "
                "mediators or run a simulated design study"
            )
        if steps is None:
            raise DesignError("the stepped-wedge design needs `steps`")
    elif steps is not None or periods is not None or tau is not None or baseline_risk is not None:
        raise DesignError(
            "`steps`, `periods`, `tau` and `baseline_risk` apply to the stepped-wedge design only"
        )
    if icc is None and tau is None:
        raise DesignError("give `icc` (or, for a stepped wedge, `tau`)")
    grid = {
        "sites": _values("sites", sites),
        "patients": _values("patients", patients),
        "icc": _values("icc", icc),
    }
    if kind == "stepped-wedge":
        grid["steps"] = _values("steps", steps)
        grid["periods"] = _values("periods", periods)
    total = effect + sum(a * b for _, a, b in mediators)
    rows = []
    names = list(grid)
    for combo in itertools.product(*grid.values()):
        cell = dict(zip(names, combo, strict=True))
        if kind == "parallel":
            r = crt_power(sites=cell["sites"], patients=cell["patients"], effect=total,
                          icc=cell["icc"], alpha=alpha)
            rows.append({**cell, "estimand": "total", "power": r.power,
                         "std_error": r.std_error, "method": r.method})
            for name, a, b in mediators:
                med = mediation_221_power(a=a, b=b, cprime=effect, icc=cell["icc"],
                                          sites=cell["sites"], patients=cell["patients"],
                                          alpha=alpha, mc_sims=0)
                rows.append({**cell, "estimand": f"indirect:{name}", "power": med.joint,
                             "std_error": med.indirect["ab"].std_error,
                             "method": "2-2-1 mediation (Kelcey et al. 2017), joint significance"})
        else:
            r = stepped_wedge_power(
                sites=cell["sites"], steps=cell["steps"], periods=cell["periods"],
                patients=cell["patients"], effect=effect, icc=cell["icc"], tau=tau,
                baseline_risk=baseline_risk, alpha=alpha,
            )
            rows.append({**cell, "estimand": "total", "power": r.power,
                         "std_error": r.std_error, "method": r.method})
    return pd.DataFrame(rows).dropna(axis=1, how="all")  # sizes not given (icc with tau, periods)


def plot_power_table(frame: pd.DataFrame, *, x: str = "sites", path: str | Path | None = None
                     ) -> Any:
    """Power curves of a :func:`power_table` frame: power against ``x``, one line per estimand
    and value of the other varying sizes. Returns the matplotlib Figure (saved to ``path``)."""
    if x not in frame.columns:
        raise DesignError(f"`x` must be a column of the table (got {x!r})")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    size_cols = [c for c in ("sites", "patients", "icc", "steps", "periods") if c in frame]
    others = [c for c in size_cols if c != x and frame[c].nunique() > 1]
    for key, sub in frame.groupby(["estimand", *others], sort=False):
        key = key if isinstance(key, tuple) else (key,)
        label = str(key[0]) + "".join(f", {p}={v}" for p, v in zip(others, key[1:], strict=True))
        sub = sub.sort_values(x)
        ax.plot(sub[x], sub["power"], marker="o", label=label)
    ax.axhline(0.8, color="grey", lw=0.8, ls="--")
    ax.set_ylim(0, 1.02)
    ax.set_xlabel(x)
    ax.set_ylabel("power")
    ax.set_title("Analytic power")
    ax.legend(fontsize=8)
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=120)
    return fig
