"""Renamed arguments: the old name keeps working for one release, with a warning.

facmech describes a trial in one vocabulary everywhere (API, CLI, reports): a *site* (the unit of
randomization, a clinic), a *period* (a measurement period of a stepped wedge) and a *patient*.
Column arguments are singular (``site="clinic_id"``: the column holding the site), counts are
plural (``sites=24``, ``patients=20`` per site and period, ``periods=5``). Arguments that used
other words (``cluster=``, ``time=``, ``unit=``, ``nested=``, ``clusters=``, ``cluster_size=``)
are accepted for one release through :func:`renamed`: passing the old name emits a
:class:`FutureWarning` that names the new one, and passing both raises
:class:`~facmech.errors.ArgumentError`.

>>> @renamed(cluster="site")
... def f(*, site=None):
...     return site
>>> import warnings
>>> with warnings.catch_warnings(record=True) as w:
...     warnings.simplefilter("always")
...     f(cluster="clinic")
'clinic'
>>> str(w[0].message)
'`cluster` is deprecated and will be removed in the next release; use `site` instead'
>>> f(cluster="a", site="b")
Traceback (most recent call last):
...
facmech.errors.ArgumentError: give `site` only (got both `site` and its deprecated name `cluster`)
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

from facmech.errors import ArgumentError

__all__ = ["deprecated_alias", "deprecation_message", "renamed"]

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")


def deprecation_message(old: str, new: str) -> str:
    """The one wording of a renamed argument or option (``old``/``new`` as the user writes them)."""
    return f"`{old}` is deprecated and will be removed in the next release; use `{new}` instead"


def deprecated_alias(value: T, old: str, new: str) -> T:
    """Return ``value`` (an attribute's new spelling) after a :class:`FutureWarning` for ``old``.

    For properties that keep an old attribute name readable for one release::

        @property
        def n_clusters(self):
            return deprecated_alias(self.n_sites, "n_clusters", "n_sites")
    """
    warnings.warn(deprecation_message(old, new), FutureWarning, stacklevel=3)
    return value


def renamed(**old_to_new: str) -> Callable[[F], F]:
    """Decorator: accept each old keyword argument as its new name, with a :class:`FutureWarning`.

    The wrapped function keeps its signature and docstring (so its doctests run); only keyword
    calls are affected. Passing both the old and the new name raises
    :class:`~facmech.errors.ArgumentError`.
    """

    def decorate(fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            for old, new in old_to_new.items():
                if old not in kwargs:
                    continue
                if new in kwargs:
                    raise ArgumentError(
                        f"give `{new}` only (got both `{new}` and its deprecated name `{old}`)"
                    )
                warnings.warn(deprecation_message(old, new), FutureWarning, stacklevel=2)
                kwargs[new] = kwargs.pop(old)
            return fn(*args, **kwargs)

        wrapper.__renamed__ = dict(old_to_new)  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate
