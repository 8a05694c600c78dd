"""Issue 14 point 10: killing the parent of the Processes backend (even with SIGKILL) makes its
workers exit too, instead of leaving orphans behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import facmech

psutil = pytest.importorskip("psutil")

PARENT = textwrap.dedent("""
    import sys, time
    from facmech.design import Processes
    print("ready", flush=True)
    Processes(workers=2).run(time.sleep, [60, 60], lambda i, r: None)
""")


def _wait(predicate, timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_workers_exit_when_parent_is_killed():
    root = str(Path(facmech.__file__).resolve().parents[1])  # the facmech under test
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")])}
    parent = subprocess.Popen([sys.executable, "-c", PARENT], stdout=subprocess.PIPE, env=env)
    workers: list = []
    try:
        assert parent.stdout.readline().strip() == b"ready"
        proc = psutil.Process(parent.pid)
        assert _wait(lambda: len(proc.children()) >= 2, 30), "workers did not start"
        workers = proc.children()
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(10)
        _, alive = psutil.wait_procs(workers, timeout=10)
        assert not alive, f"orphaned workers still running: {[p.pid for p in alive]}"
    finally:
        if parent.poll() is None:
            parent.kill()
        for p in workers:  # never leave the test's own orphans behind, even when it fails
            try:
                p.kill()
            except psutil.NoSuchProcess:
                pass
