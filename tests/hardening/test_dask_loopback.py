"""Issue 14 point 1: a local Dask cluster listens on 127.0.0.1 only, with no dashboard unless asked.

Every listening TCP socket of this process and of its children (nannies, workers) is collected with
psutil while the cluster runs, and must be bound to a loopback address.
"""

from __future__ import annotations

import ipaddress

import pytest

from facmech.design import Dask
from facmech.design.backends import Backend
from facmech.errors import ArgumentError

psutil = pytest.importorskip("psutil")
pytest.importorskip("distributed")


def _listening(proc) -> set[tuple[str, int, int]]:
    out = set()
    for p in [proc, *proc.children(recursive=True)]:
        try:
            conns = p.net_connections(kind="inet")
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        out |= {(c.laddr.ip, c.laddr.port, p.pid) for c in conns if c.status == psutil.CONN_LISTEN}
    return out


@pytest.mark.parametrize("processes", [False, True], ids=["threads", "processes"])
def test_local_cluster_listens_on_loopback_only(processes):
    me = psutil.Process()
    before = _listening(me)
    with Dask(workers=2, processes=processes).connect() as client:
        assert client.submit(sum, [1, 2]).result() == 3
        opened = _listening(me) - before
        ports = {port for _, port, _ in opened}
    assert opened, "the cluster opened no listening socket at all?"
    exposed = {(ip, port) for ip, port, _ in opened if not ipaddress.ip_address(ip).is_loopback}
    assert not exposed, f"listening beyond loopback: {exposed}"
    assert 8787 not in ports  # no dashboard by default


def test_dashboard_only_when_asked_and_on_loopback():
    me = psutil.Process()
    before = _listening(me)
    with Dask(workers=1, processes=False, dashboard=True).connect() as client:
        link = client.dashboard_link
        opened = _listening(me) - before
    assert "127.0.0.1" in link
    assert all(ipaddress.ip_address(ip).is_loopback for ip, _, _ in opened)


@pytest.mark.parametrize("address", ["not an address", "tcp://host", "tcp://h:0", "h:99999", 5])
def test_scheduler_address_checked_before_connecting(address):
    with pytest.raises(ArgumentError, match="`scheduler` must be a Dask scheduler address"):
        Backend.parse(None, scheduler=address)
    with pytest.raises(ArgumentError, match="`address` must be a Dask scheduler address"):
        Dask(address=address)


def test_zero_workers_refused():
    with pytest.raises(Exception, match="`workers` must be an integer >= 1"):
        Backend.parse("dask", workers=0)
