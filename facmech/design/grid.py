"""Study grids: the cells of a design study, the Cartesian product of parameter values.

>>> g = Grid({"sites": [12, 24], "icc": [0.05]})
>>> g.cells
({'sites': 12, 'icc': 0.05}, {'sites': 24, 'icc': 0.05})
>>> Grid({"clusters": [12]})
Traceback (most recent call last):
...
facmech.errors.DesignError: unknown grid parameter `clusters`; valid parameters: design, sites, ...
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np

from facmech.design.map_trial import MAP_GRID_PARAMETERS
from facmech.design.model import GRID_PARAMETERS
from facmech.errors import DesignError, closest

__all__ = ["Grid"]


def _scalar(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return value


@dataclass(frozen=True)
class Grid:
    """Parameter name -> values; the study runs every combination (a *cell*).

    Parameters
    ----------
    parameters : Mapping[str, Sequence]
        Keys among :data:`~facmech.design.model.GRID_PARAMETERS`; each value a non-empty list (a
        scalar is taken as a one-value list). An empty mapping is refused.
    """

    parameters: Mapping[str, tuple[Any, ...]]

    def __post_init__(self) -> None:
        params = self.parameters
        if isinstance(params, Grid):
            params = params.parameters
        if not isinstance(params, Mapping):
            raise DesignError(
                f"`grid` must be a mapping of parameter -> values (got {type(params).__name__})"
            )
        if not params:
            raise DesignError(
                f"`grid` is empty; give at least one parameter among {', '.join(GRID_PARAMETERS)}"
            )
        clean: dict[str, tuple[Any, ...]] = {}
        for name, values in params.items():
            if name not in GRID_PARAMETERS and name not in MAP_GRID_PARAMETERS:
                raise DesignError(
                    f"unknown grid parameter `{name}`; valid parameters: "
                    f"{', '.join(GRID_PARAMETERS)}.{closest(str(name), GRID_PARAMETERS)}"
                )
            if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
                values = (values,)
            vals = tuple(_scalar(v) for v in values)
            if not vals:
                raise DesignError(f"grid parameter `{name}` has no values (got an empty list)")
            if len(set(map(repr, vals))) != len(vals):
                raise DesignError(f"grid parameter `{name}` has repeated values ({list(vals)})")
            clean[name] = vals
        object.__setattr__(self, "parameters", MappingProxyType(clean))

    @classmethod
    def parse(
        cls, grid: Grid | Mapping[str, Any] | None, designs: Sequence[str] | None = None
    ) -> Grid:
        """Combine a ``grid`` and a ``designs`` shorthand (the grid parameter ``design``)."""
        params: dict[str, Any] = {}
        if grid is not None:
            params.update(grid.parameters if isinstance(grid, Grid) else dict(grid))
        if designs is not None:
            if "design" in params:
                raise DesignError("give the designs either in `designs` or as grid['design']")
            params["design"] = designs
        return cls(params)

    @property
    def names(self) -> tuple[str, ...]:
        """Parameter names, in grid order."""
        return tuple(self.parameters)

    @property
    def cells(self) -> tuple[dict[str, Any], ...]:
        """Every combination, the last parameter varying fastest."""
        names = self.names
        return tuple(
            dict(zip(names, combo, strict=True))
            for combo in itertools.product(*(self.parameters[n] for n in names))
        )

    def __len__(self) -> int:
        return int(np.prod([len(v) for v in self.parameters.values()]))

    def to_dict(self) -> dict[str, list[Any]]:
        """JSON-ready mapping of parameter -> list of values."""
        return {k: list(v) for k, v in self.parameters.items()}
