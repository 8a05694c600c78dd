"""Where a design study's work runs: serially, on local processes, or on a Dask cluster.

Every backend runs the same list of tasks (one task = one cell and a fixed block of replicates, each
replicate with its own random stream), so the numbers do not depend on the backend, only the time.

* :class:`Serial`: in this process (default; simplest to debug).
* :class:`Processes`: a local :class:`concurrent.futures.ProcessPoolExecutor`.
* :class:`Dask`: ``Dask()`` starts a local cluster on the loopback interface for the duration of the
  study; ``Dask(address="tcp://scheduler:8786")`` connects to an existing scheduler (a real cluster)
  and raises a clear error if it cannot be reached within ``timeout`` seconds. Needs the optional
  ``dask[distributed]`` dependency (``pip install facmech[dask]``).

>>> Backend.parse("serial")
Serial()
>>> Backend.parse("gpu")
Traceback (most recent call last):
...
facmech.errors.DesignError: `backend` must be one of 'serial', 'processes', 'dask' (got 'gpu')
"""

from __future__ import annotations

import concurrent.futures as cf
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from facmech.errors import DesignError, FacmechError
from facmech.power._common import check_count, check_real

__all__ = ["Backend", "Dask", "Processes", "Serial"]

Task = Any
Done = Callable[[int, Any], None]


class Backend:
    """Base of the backends: :meth:`run` calls ``func(task)`` for every task, reporting each result."""

    def run(self, func: Callable[[Task], Any], tasks: Sequence[Task], on_done: Done) -> None:
        """Run ``func`` on each task; call ``on_done(index, result)`` as each finishes."""
        raise NotImplementedError

    @staticmethod
    def parse(
        value: Backend | str | None,
        *,
        workers: int | None = None,
        scheduler: str | None = None,
        timeout: float = 10.0,
    ) -> Backend:
        """A backend from an instance or a name (``serial``, ``processes``, ``dask``)."""
        if value is None:
            value = "dask" if scheduler else "serial"
        if isinstance(value, Backend):
            return value
        name = str(value).lower()
        if name == "serial":
            return Serial()
        if name == "processes":
            return Processes(workers=workers)
        if name == "dask":
            return Dask(address=scheduler, workers=workers or 2, timeout=timeout)
        raise DesignError(
            f"`backend` must be one of 'serial', 'processes', 'dask' (got {value!r})"
        )


@dataclass(frozen=True)
class Serial(Backend):
    """Run every task in this process, in order."""

    def run(self, func: Callable[[Task], Any], tasks: Sequence[Task], on_done: Done) -> None:
        for i, task in enumerate(tasks):
            on_done(i, func(task))


@dataclass(frozen=True)
class Processes(Backend):
    """Run tasks on ``workers`` local processes (default: the number of CPUs)."""

    workers: int | None = None

    def __post_init__(self) -> None:
        if self.workers is not None:
            object.__setattr__(self, "workers", check_count("workers", self.workers))

    def run(self, func: Callable[[Task], Any], tasks: Sequence[Task], on_done: Done) -> None:
        with cf.ProcessPoolExecutor(max_workers=self.workers) as pool:
            futures = {pool.submit(func, task): i for i, task in enumerate(tasks)}
            try:
                for fut in cf.as_completed(futures):
                    on_done(futures[fut], fut.result())
            except BaseException:
                for fut in futures:
                    fut.cancel()
                raise


@dataclass(frozen=True)
class Dask(Backend):
    """Run tasks on Dask: a local loopback cluster (``address=None``) or an existing scheduler.

    Parameters
    ----------
    address : str, optional
        Scheduler address (``tcp://host:8786``). ``None`` starts a ``LocalCluster`` on 127.0.0.1.
    workers : int, default 2
        Workers of the local cluster (one thread each).
    processes : bool, default True
        Local cluster with worker processes (True) or threads in this process (False).
    timeout : float, default 10
        Seconds to wait for the scheduler before giving up.
    """

    address: str | None = None
    workers: int = 2
    processes: bool = True
    timeout: float = 10.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "workers", check_count("workers", self.workers))
        object.__setattr__(self, "timeout", check_real("timeout", self.timeout, positive=True))

    def _client(self) -> tuple[Any, Any]:
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError:
            raise FacmechError(
                "the Dask backend needs dask[distributed]: pip install 'facmech[dask]'"
            ) from None
        if self.address is None:
            # Worker processes talk TCP on the loopback interface; threads use in-process comms.
            where = {"host": "127.0.0.1"} if self.processes else {}
            cluster = LocalCluster(
                n_workers=self.workers,
                threads_per_worker=1,
                processes=self.processes,
                dashboard_address=None,
                **where,
            )
            return Client(cluster), cluster
        try:
            return Client(self.address, timeout=self.timeout), None
        except (OSError, TimeoutError) as exc:
            raise FacmechError(
                f"cannot reach the Dask scheduler at `{self.address}` within {self.timeout:g} s "
                f"({type(exc).__name__}); check the address and that the scheduler is running"
            ) from None

    def run(self, func: Callable[[Task], Any], tasks: Sequence[Task], on_done: Done) -> None:
        from dask.distributed import as_completed

        client, cluster = self._client()
        try:
            futures = client.map(func, list(tasks), pure=False)
            index = {f.key: i for i, f in enumerate(futures)}
            for fut in as_completed(futures):
                on_done(index[fut.key], fut.result())
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
