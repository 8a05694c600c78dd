"""Backend internals of design studies (issue 15): the allocator tuning of Dask workers."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from facmech.design.backends import _in_dask_worker

_PROBE = textwrap.dedent("""
    import resource, sys
    import numpy as np
    from facmech.design import backends

    def faults():
        return resource.getrusage(resource.RUSAGE_SELF).ru_minflt

    def churn():  # a design-study-like pattern: medium arrays allocated, touched and freed
        start = faults()
        for _ in range(200):
            a = np.ones(200_000)
            a.sum()
        return faults() - start

    churn()
    before = churn()
    backends._in_dask_worker(0, call=lambda t: t)  # first task of a worker: tunes the allocator
    after = churn()
    print(before, after)
""")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc mallopt")
def test_dask_worker_allocator_stops_page_fault_churn():
    # Dask's nanny sets MALLOC_TRIM_THRESHOLD_=65536, which makes glibc mmap every array over
    # 128 kB afresh: 200 arrays of 1.6 MB cost ~80,000 page faults. After the first task's
    # tuning they come from the heap.
    env = {**os.environ, "MALLOC_TRIM_THRESHOLD_": "65536"}
    out = subprocess.run([sys.executable, "-c", _PROBE], env=env, capture_output=True, text=True,
                         check=True).stdout.split()
    before, after = int(out[0]), int(out[1])
    assert before > 20_000, before  # the churn is there under Dask's setting
    assert after < before / 10, (before, after)


def test_in_dask_worker_runs_the_task():
    assert _in_dask_worker(3, call=lambda t: t * 2) == 6
