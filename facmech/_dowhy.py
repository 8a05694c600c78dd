"""Calling DoWhy without touching the caller's logging or warning configuration.

DoWhy logs at INFO/WARNING from every step (``CausalModel`` prints its summary to the log, the
identifier warns about unobserved nodes, the refuters log each simulation) and emits
``FutureWarning``/``UserWarning``. :func:`quiet` silences exactly DoWhy's own loggers (``dowhy`` and
its children) and warnings raised inside the block, and restores every level, ``disabled`` flag and
warning filter on exit, so a user's process keeps its logging configuration whatever facmech calls.

>>> import logging
>>> log = logging.getLogger("dowhy.causal_model")
>>> before = (log.level, log.disabled)
>>> with quiet():
...     log.getEffectiveLevel() > logging.WARNING
True
>>> (log.level, log.disabled) == before
True
"""

from __future__ import annotations

import contextlib
import logging
import warnings
from collections.abc import Iterator

__all__ = ["quiet"]


def _dowhy_loggers() -> list[logging.Logger]:
    names = [n for n in list(logging.root.manager.loggerDict)
             if n == "dowhy" or n.startswith("dowhy.")]
    if "dowhy" not in names:
        names.append("dowhy")
    return [logging.getLogger(n) for n in names]


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Silence DoWhy's loggers and warnings inside the block; restore them afterwards."""
    loggers = _dowhy_loggers()
    saved = [(lg, lg.level, lg.disabled) for lg in loggers]
    try:
        for lg in loggers:
            lg.setLevel(logging.CRITICAL + 1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        # loggers DoWhy created inside the block inherit from "dowhy": reset them too
        for lg in _dowhy_loggers():
            if all(lg is not s[0] for s in saved):
                lg.setLevel(logging.NOTSET)
        for lg, level, disabled in saved:
            lg.setLevel(level)
            lg.disabled = disabled
