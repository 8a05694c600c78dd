"""Shared small maps for the simulator's tests."""

from __future__ import annotations

import pytest

from facmech.maps import Edge, Level, MechanismMap, Node, Role


def small_map(*, direct: float | None = None, lagged: bool = False) -> MechanismMap:
    """strategy f -> mechanism m -> patient outcome y (optionally f -> y, m -> y at lag 1)."""
    nodes = (
        Node("c", role=Role.CONTEXT),
        Node("f", role=Role.STRATEGY, time_varying=True),
        Node("m", role=Role.MECHANISM, time_varying=True),
        Node("y", role=Role.OUTCOME, level=Level.PATIENT, time_varying=True),
    )
    edges = [Edge("c", "m"), Edge("f", "m"), Edge("m", "y")]
    if direct is not None:
        edges.append(Edge("f", "y"))
    if lagged:
        edges.append(Edge("m", "y", lag=1))
    return MechanismMap(nodes=nodes, edges=tuple(edges), title="small")


@pytest.fixture
def chain_map() -> MechanismMap:
    return small_map()
