"""The one ``inference=`` argument of facmech's estimators, parsed once at the boundary.

Every estimator that reports standard errors and intervals (:func:`facmech.mediate`,
:func:`facmech.gformula`, :func:`~facmech.gmethods.msm`,
:func:`~facmech.gmethods.mediational_gformula`, :func:`~facmech.gmethods.naive_regression`) takes
``inference=`` with the same meaning:

- an *inference scheme* object: :class:`~facmech.mediation.MonteCarlo` (quasi-Bayesian draws of
  the coefficients; mediation), :class:`~facmech.mediation.Bootstrap` (site bootstrap of a
  mediation analysis) or :class:`~facmech.Bootstrap` (the same site bootstrap, for the
  g-methods); each estimator accepts the schemes it implements and names them when refusing one;
- an integer ``n`` (at least 2): the estimator's default scheme with ``n`` draws
  (``MonteCarlo(draws=n)`` for mediation, ``Bootstrap(draws=n)`` for the g-methods);
- ``None``: point estimates only.

Anything else (a string, a float, a bool) raises :class:`~facmech.errors.ArgumentError` listing
what the estimator allows.

>>> from dataclasses import dataclass
>>> @dataclass(frozen=True)
... class Draws:
...     draws: int = 100
>>> parse_inference(50, schemes=(Draws,), default=Draws)
Draws(draws=50)
>>> parse_inference("bootstrap", schemes=(Draws,), default=Draws)
Traceback (most recent call last):
...
facmech.errors.ArgumentError: `inference` must be Draws(...), a number of draws ... (got 'bootstrap')
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any

from facmech.errors import ArgumentError

__all__ = ["parse_inference"]


def parse_inference(
    value: Any,
    *,
    schemes: tuple[type, ...],
    default: Callable[[int], Any],
    argument: str = "inference",
) -> Any:
    """Return the inference scheme ``value`` stands for, or None for point estimates only.

    ``schemes`` are the scheme classes the estimator implements (an instance is returned as
    is); ``default(n)`` builds the estimator's default scheme with ``n`` draws from an integer.
    """
    if value is None or isinstance(value, schemes):
        return value
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        if int(value) >= 2:
            return default(int(value))
    allowed = ", ".join(f"{s.__name__}(...)" for s in schemes)
    raise ArgumentError(
        f"`{argument}` must be {allowed}, a number of draws (an integer of at least 2) or None "
        f"(got {_shown(value)})"
    )


def _shown(value: Any) -> str:
    if isinstance(value, (str, numbers.Number)) or value is None:
        return repr(value)
    return f"a {type(value).__name__}"
