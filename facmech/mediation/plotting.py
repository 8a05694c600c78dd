"""Effect-decomposition figure of a mediation result (matplotlib imported lazily)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from facmech.errors import ArgumentError
from facmech.mediation.keys import EffectKind

if TYPE_CHECKING:  # pragma: no cover
    from facmech.mediation.results import MediationResult

__all__ = ["plot_decomposition"]


def plot_decomposition(
    result: MediationResult, *, ax: Any = None, include: tuple[str, ...] | None = None
) -> Any:
    """Points with confidence intervals for the total effect and its parts.

    The rows are ``total``, ``nde``, ``nie`` and then each ``via:`` and ``path:`` effect (or the
    names in ``include``); bars for the parts are drawn in the order they add up to the total.
    Returns the matplotlib Axes.
    """
    import matplotlib.pyplot as plt

    keys = {str(k): k for k in result.effects}
    shown = (EffectKind.TOTAL, EffectKind.NDE, EffectKind.NIE, EffectKind.VIA, EffectKind.PATH)
    names = list(include) if include is not None else [
        str(k) for k in result.effects
        if k.kind in shown and k.arm is None and k.exposure is None
    ]
    unknown = [n for n in names if n not in keys]
    if unknown:
        raise ArgumentError(
            f"`include` names unknown effect(s) {unknown}; available: {list(keys)}"
        )
    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 0.45 * len(names) + 1.4))
    colors = {EffectKind.TOTAL: "black", EffectKind.NDE: "C0", EffectKind.NIE: "C3",
              EffectKind.VIA: "C1"}
    for row, name in enumerate(names):
        est = result.effects[name]
        color = colors.get(keys[name].kind, "C2")
        if est.ci_low is not None:
            ax.plot([est.ci_low, est.ci_high], [row, row], color=color, lw=2, alpha=0.6)
        ax.plot([est.estimate], [row], "o", color=color)
    ax.axvline(0, color="grey", lw=0.8)
    labels = [keys[n].label for n in names]
    ax.set_yticks(range(len(names)), labels)
    ax.invert_yaxis()
    level = round(100 * (1 - result.alpha))
    ax.set_xlabel(f"effect of {result.treatment} on {result.outcome} ({result.scale}, "
                  f"{level}% CI)")
    ax.set_title(f"Decomposition via {', '.join(result.mediators)}")
    ax.figure.tight_layout()
    return ax
