"""The staff-survey table of a simulated trial: one row per respondent and site-period.

Every observed continuous site-level node of the scenario (and every observed continuous baseline
context node, surveyed once, in period 0) is a survey *construct* measured by the items of
:class:`~facmech.simulation.items.SurveyItems` (see :mod:`facmech.simulation.items` for the factor
model). Columns: ``site``, ``period``, ``respondent`` (0-based within the site-period; staff are
sampled afresh each period), then ``<construct>_i<k>`` for item ``k = 1..L`` of each construct
(missing in the periods a baseline construct is not surveyed).

The table is drawn *given* the site-period survey means the simulator already puts in the patient and
site-period tables: respondents' scale scores are the site-period mean plus centred normal
deviations (for normal draws the sample mean and the deviations from it are independent, so this is
an exact draw of the survey), and the items are drawn from their conditional normal distribution
given the scale score. Hence the mean of the scale scores of a site-period equals the value in
``trial.site_periods`` to rounding, and asking for the surveys does not change the other tables.

>>> from facmech.simulation import simulate, SteppedWedge
>>> trial = simulate("zambia", SteppedWedge(sites=4, steps=2, patients=2), seed=3, truth=False,
...                  surveys=True)
>>> trial.surveys.shape[0], trial.survey_items["trust"]
(96, ('trust_i1', 'trust_i2', 'trust_i3'))
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from facmech.errors import DesignError
from facmech.simulation.engine import Kind, World
from facmech.simulation.scenario import NodeType

__all__ = ["MAX_SURVEY_ROWS", "item_columns", "staff_surveys", "surveyed_nodes"]

#: Largest survey table :func:`staff_surveys` builds (respondent rows).
MAX_SURVEY_ROWS = 20_000_000


def surveyed_nodes(world: World) -> list:
    """Compiled specs of the nodes measured by the staff survey (observed, continuous, site-level)."""
    return [s for s in world.model.nodes if s.observed and s.type is NodeType.CONTINUOUS
            and s.kind in (Kind.SITE, Kind.CONTEXT)]


def item_columns(node: str, n_items: int) -> tuple[str, ...]:
    """Column names of a construct's items.

    >>> item_columns("trust", 2)
    ('trust_i1', 'trust_i2')
    """
    return tuple(f"{node}_i{k}" for k in range(1, n_items + 1))


def staff_surveys(world: World, rng: np.random.Generator
                  ) -> tuple[pd.DataFrame, dict[str, tuple[str, ...]]]:
    """The survey table of ``world`` and, per construct, its item columns (see the module docstring).
    """
    sc = world.model.scenario
    I, T, n = world.noise.sites, world.noise.periods, sc.staff_per_site
    if I * T * n > MAX_SURVEY_ROWS:
        raise DesignError(
            f"`staff_per_site` = {n} gives {I * T * n} survey rows (at most {MAX_SURVEY_ROWS}); "
            "lower it to simulate the staff surveys"
        )
    cols: dict[str, np.ndarray] = {
        "site": np.repeat(np.arange(I), T * n),
        "period": np.tile(np.repeat(np.arange(T), n), I),
        "respondent": np.tile(np.arange(n), I * T),
    }
    items_of: dict[str, tuple[str, ...]] = {}
    err_sd = sc.staff_sd / np.sqrt(n)
    for spec in surveyed_nodes(world):
        items = sc.items_of(spec.id)
        lam = np.asarray(items.loadings)
        sig = np.asarray(items.noise_sd)
        c = np.asarray(items.scale_weights)
        tau2 = items.respondent_variance(sc.staff_sd) if sc.staff_sd > 0 else 0.0
        v = world.values[spec.id]
        mean_err = err_sd * world.noise.draws[f"@survey:{spec.id}"]
        if spec.kind is Kind.CONTEXT:  # baseline: surveyed in period 0 only
            v, mean_err = v[:, None], mean_err[:, None]
        periods = v.shape[1]
        w = rng.standard_normal((I, periods, n))
        score = (v + mean_err)[..., None] + sc.staff_sd * (w - w.mean(axis=2, keepdims=True))
        latent = v[..., None] + np.sqrt(tau2) * rng.standard_normal((I, periods, n))
        x = latent[..., None] * lam + sig * rng.standard_normal((I, periods, n, lam.size))
        if sc.staff_sd > 0:
            vc = tau2 * lam + sig**2 * c  # Cov(x, c'x); Var(c'x) = staff_sd^2
            x = x + (score - x @ c)[..., None] * vc / sc.staff_sd**2
        else:
            x = score[..., None] * lam
        names = item_columns(spec.id, lam.size)
        full = np.full((I, T, n, lam.size), np.nan)
        full[:, :periods] = x
        for k, name in enumerate(names):
            cols[name] = full[..., k].reshape(-1)
        items_of[spec.id] = names
    return pd.DataFrame(cols, copy=False), items_of
