"""Where a design study's work runs: serially, on local processes, or on a Dask cluster.

Every backend runs the same list of tasks (one task = one cell and a fixed block of replicates, each
replicate with its own random stream), so the numbers do not depend on the backend, only the time.

* :class:`Serial`: in this process (default; simplest to debug).
* :class:`Processes`: a local :class:`concurrent.futures.ProcessPoolExecutor`. Its workers run
  single-threaded BLAS (two workers on two cores, not four threads fighting) and exit when the
  process that started them dies, even by ``kill -9`` (``PR_SET_PDEATHSIG`` on Linux, and a
  watchdog thread everywhere).
* :class:`Dask`: ``Dask()`` starts a local cluster for the duration of the study whose scheduler,
  workers and nannies listen on 127.0.0.1 only, with no dashboard unless ``dashboard=True`` (then
  on 127.0.0.1 too); ``Dask(address="tcp://scheduler:8786")`` connects to an existing scheduler (a
  real cluster, the user's explicit choice) and raises a clear error if it cannot be reached
  within ``timeout`` seconds. Needs the optional ``dask[distributed]`` dependency
  (``pip install facmech[dask]``).

>>> Backend.parse("serial")
Serial()
>>> Backend.parse("gpu")
Traceback (most recent call last):
...
facmech.errors.DesignError: `backend` must be one of 'serial', 'processes', 'dask' (got 'gpu').
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import ctypes
import os
import re
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from facmech._choice import DesignChoice
from facmech.errors import ArgumentError, FacmechError
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
        dashboard: bool = False,
    ) -> Backend:
        """A backend from an instance or a name (``serial``, ``processes``, ``dask``)."""
        if scheduler is not None:
            check_address(scheduler, argument="scheduler")
        if value is None:
            value = "dask" if scheduler else "serial"
        if isinstance(value, Backend):
            return value
        name = BackendName.parse(value, argument="backend")
        if name is BackendName.SERIAL:
            return Serial()
        if name is BackendName.PROCESSES:
            return Processes(workers=workers)
        return Dask(address=scheduler, workers=2 if workers is None else workers,
                    timeout=timeout, dashboard=dashboard)


class BackendName(DesignChoice):
    """The names :meth:`Backend.parse` accepts (CLI ``--backend``)."""

    SERIAL = "serial"
    PROCESSES = "processes"
    DASK = "dask"


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
        with cf.ProcessPoolExecutor(max_workers=self.workers, initializer=_worker_init,
                                    initargs=(os.getpid(),)) as pool:
            futures = {pool.submit(func, task): i for i, task in enumerate(tasks)}
            try:
                for fut in cf.as_completed(futures):
                    on_done(futures[fut], fut.result())
            except BaseException:
                for fut in futures:
                    fut.cancel()
                raise


_ADDRESS = re.compile(
    r"^(?:(?P<scheme>tcp|tls|ucx|ws|wss)://)?(?P<host>[A-Za-z0-9][A-Za-z0-9.\-_]*|\[[0-9A-Fa-f:.]+\])"
    r":(?P<port>[0-9]{1,5})/?$"
)


def check_address(address: object, *, argument: str = "address") -> str:
    """A Dask scheduler address ``[scheme://]host:port`` (scheme tcp, tls, ucx, ws or wss).

    >>> check_address("tcp://10.0.0.5:8786")
    'tcp://10.0.0.5:8786'
    >>> check_address("not an address", argument="scheduler")
    Traceback (most recent call last):
    ...
    facmech.errors.ArgumentError: `scheduler` must be a Dask scheduler address ...
    """
    match = _ADDRESS.match(address) if isinstance(address, str) else None
    if match is None or not 1 <= int(match["port"]) <= 65535:
        raise ArgumentError(
            f"`{argument}` must be a Dask scheduler address [tcp://]HOST:PORT with a port in "
            f"1..65535, such as tcp://10.0.0.5:8786 (got {address!r})"
        )
    return address  # type: ignore[return-value]


@dataclass(frozen=True)
class Dask(Backend):
    """Run tasks on Dask: a local loopback cluster (``address=None``) or an existing scheduler.

    Parameters
    ----------
    address : str, optional
        Scheduler address (``tcp://host:8786``). ``None`` starts a ``LocalCluster`` whose
        scheduler, workers and nannies listen on 127.0.0.1 only.
    workers : int, default 2
        Workers of the local cluster (one thread each).
    processes : bool, default True
        Local cluster with worker processes (True) or threads in this process (False).
    timeout : float, default 10
        Seconds to wait for the scheduler before giving up.
    dashboard : bool, default False
        Local cluster: serve the scheduler's dashboard (on 127.0.0.1, port 8787 or the next free
        one). Off by default: nothing but the loopback comms is opened.

    Notes
    -----
    A fresh local cluster costs seconds to start (worker processes are spawned and import numpy
    and facmech): below a few thousand replicates :class:`Processes` is faster; see the README's
    "When Dask pays". On their first task, workers raise glibc's mmap and trim thresholds (see
    ``_tune_allocator``): under Dask's default ``MALLOC_TRIM_THRESHOLD_`` the tasks spend about
    20% more CPU on page faults.
    """

    address: str | None = None
    workers: int = 2
    processes: bool = True
    timeout: float = 10.0
    dashboard: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "workers", check_count("workers", self.workers))
        object.__setattr__(self, "timeout", check_real("timeout", self.timeout, positive=True))
        if self.address is not None:
            check_address(self.address)
        if not isinstance(self.dashboard, bool):
            raise ArgumentError(f"`dashboard` must be True or False (got {self.dashboard!r})")

    @contextlib.contextmanager
    def connect(self) -> Iterator[Any]:
        """A ``distributed.Client``, on a fresh local cluster or the scheduler at ``address``;
        closed (and the local cluster shut down) on exit."""
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError:
            raise FacmechError(
                "the Dask backend needs dask[distributed]: pip install 'facmech[dask]'"
            ) from None
        if self.address is None:
            # Every listening socket on loopback: TCP comms on 127.0.0.1 even for threads (the
            # in-process transport would make the HTTP servers bind the machine's address), the
            # scheduler's HTTP server on 127.0.0.1 with the dashboard only when asked for.
            cluster = LocalCluster(
                n_workers=self.workers,
                threads_per_worker=1,
                processes=self.processes,
                host="127.0.0.1",
                protocol="tcp://",
                scheduler_port=0,
                dashboard_address="127.0.0.1:8787" if self.dashboard else "127.0.0.1:0",
                scheduler_kwargs={"dashboard": self.dashboard},
                worker_dashboard_address=None,
            )
            try:
                with Client(cluster) as client:
                    yield client
            finally:
                cluster.close()
            return
        try:
            client = Client(self.address, timeout=self.timeout)
        except (OSError, TimeoutError, ValueError) as exc:
            raise FacmechError(
                f"cannot reach the Dask scheduler at `{self.address}` within {self.timeout:g} s "
                f"({type(exc).__name__}); check the address and that the scheduler is running"
            ) from None
        with client:
            yield client

    def run(self, func: Callable[[Task], Any], tasks: Sequence[Task], on_done: Done) -> None:
        from dask.distributed import as_completed

        with self.connect() as client:
            futures = client.map(_in_dask_worker, list(tasks), call=func, pure=False)
            index = {f.key: i for i, f in enumerate(futures)}
            for fut in as_completed(futures):
                on_done(index[fut.key], fut.result())


_PR_SET_PDEATHSIG = 1
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc mallopt parameters
_MMAP_THRESHOLD, _TRIM_THRESHOLD = 32 << 20, 64 << 20
_TUNED = False


def _in_dask_worker(task: Task, *, call: Callable[[Task], Any]) -> Any:
    """Run ``call(task)`` on a Dask worker, with the allocator tuned once per worker process."""
    global _TUNED
    if not _TUNED:
        _TUNED = True
        _tune_allocator()
    return call(task)


def _tune_allocator() -> None:
    """Serve allocations under 32 MB from the heap, and keep up to 64 MB of freed heap.

    Dask's nannies start workers with ``MALLOC_TRIM_THRESHOLD_=65536`` (to hand memory back to
    the OS at once), which also switches off glibc's adaptive mmap threshold: every array over
    128 kB is then mapped anew, and every free at the heap top unmapped, so each block of a
    design study page-faults its temporaries again. That cost the tasks 17-24% more CPU than in
    a plain process (``benchmarks/bench_backends.py``). With these two thresholds a worker keeps
    at most 64 MB it does not use, and larger blocks still go back to the OS when freed. Linux
    (glibc) only; elsewhere a no-op.
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None)
        libc.mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD)
        libc.mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD)
    except (OSError, AttributeError):
        pass


def _worker_init(parent: int) -> None:
    """Initializer of every :class:`Processes` worker: one BLAS thread, die with the parent."""
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except Exception:
        pass
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass
    ppid = os.getppid()
    if not _alive(parent, ppid):  # the parent died before prctl took effect
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent, ppid), daemon=True,
                     name="facmech-parent-watchdog").start()


def _alive(pid: int, ppid: int) -> bool:
    if os.getppid() != ppid:  # reparented: the process that started us is gone
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _watch_parent(parent: int, ppid: int, interval: float = 0.5) -> None:
    """Exit this worker as soon as ``parent`` is gone (fallback where PDEATHSIG does not exist)."""
    while _alive(parent, ppid):
        time.sleep(interval)
    os._exit(1)
