"""Choices of a mediation analysis: model families and the treatment's level.

Strings are accepted at the public boundary and converted here; an unknown value raises
:class:`facmech.errors.FacmechError` listing the valid ones.

>>> Family.parse("probit")
<Family.PROBIT: 'probit'>
>>> Family.parse("logit") is Family.BINOMIAL
True
"""

from __future__ import annotations

from facmech._choice import Choice

__all__ = ["EffectModel", "Family", "TreatmentLevel"]


_Choice = Choice


class Family(_Choice):
    """Model family of the outcome (or of a mediator).

    ``gaussian`` is a linear model (OLS); ``binomial`` a logistic regression (alias ``logit``);
    ``probit`` a probit regression. Binary families require 0/1 values.
    """

    GAUSSIAN = "gaussian"
    BINOMIAL = "binomial"
    PROBIT = "probit"

    @classmethod
    def parse(  # type: ignore[override]
        cls, value: object, *, argument: str = "outcome_family"
    ) -> Family:
        return super().parse(value, argument=argument)  # type: ignore[return-value]

    @classmethod
    def aliases(cls) -> dict[str, str]:
        return {"logit": "binomial", "logistic": "binomial", "normal": "gaussian",
                "linear": "gaussian"}

    @property
    def binary(self) -> bool:
        """Whether the family models a 0/1 variable."""
        return self is not Family.GAUSSIAN


class TreatmentLevel(_Choice):
    """Level at which the treatment is assigned: ``site`` (constant within a site, or within a
    site-period when ``time`` is given) or ``patient`` (individually assigned)."""

    SITE = "site"
    PATIENT = "patient"

    @classmethod
    def parse(  # type: ignore[override]
        cls, value: object, *, argument: str = "treatment_level"
    ) -> TreatmentLevel:
        return super().parse(value, argument=argument)  # type: ignore[return-value]


class EffectModel(Choice):
    """How the treatment effect may change with time on treatment in a stepped-wedge analysis.

    ``constant``: one treatment coefficient per model (Hussey & Hughes 2007); ``exposure_time``:
    one coefficient per exposure time (periods since crossover, the crossover period counting as
    1), the exposure-time indicator model of Kenny, Voldal, Xia & Heagerty (2022, Stat Med
    41:4311), whose effects are summarised by their average over exposure times (the
    time-averaged treatment effect). Aliases: ``eti``, ``exposure-time``.

    >>> EffectModel.parse("eti")
    <EffectModel.EXPOSURE_TIME: 'exposure_time'>
    """

    CONSTANT = "constant"
    EXPOSURE_TIME = "exposure_time"

    @classmethod
    def aliases(cls) -> dict[str, str]:
        return {"eti": "exposure_time", "exposure": "exposure_time"}

    @classmethod
    def parse(  # type: ignore[override]
        cls, value: object, *, argument: str = "effect_model"
    ) -> EffectModel:
        return super().parse(value, argument=argument)  # type: ignore[return-value]
