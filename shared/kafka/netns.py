"""The secured three-node cluster with each node in its own Linux network namespace, so one
node can really be cut off from the others and from every client (issue 14's partition).

Why: SIGSTOP (``pause``) freezes a JVM, but a frozen broker is not a partitioned one: a
partitioned broker keeps running, keeps believing it leads its partitions, and must rejoin and
catch up afterwards. On 127.0.0.1 nothing can separate one node from the rest. Here each node N
runs in namespace ``cc-<x>-n<N>`` at ``10.213.<x>.N``, joined by a veth pair to a host bridge
``ccbr<x>`` (the host is ``10.213.<x>.254``): clients and services on the host reach every node
through the bridge, and the nodes reach each other through it. The machine has no iptables or
nft, so the cut is ``ip link set <host-side veth of N> down``; the node's side loses carrier and
every packet between N and anyone else is dropped, with no reset, as in a real partition.

Parallel runs cannot collide: ``<x>`` is held by an ``flock`` on ``<tmp>/carers-netns/<x>.lock``
for the life of the run, and the bridge name ``ccbr<x>`` is unique. Objects left by a run that
was SIGKILLed (its lock free again) are swept by the next run, or by
``python -m shared.kafka.netns sweep``. Needs root and ``ip`` (iproute2).

The default cluster (``shared/kafka/cluster.py``, 127.0.0.1) is untouched; this is opt-in.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO

from shared.kafka.cluster import KafkaCluster
from shared.kafka.cluster_node import NODES

PREFIX = "10.213"
HOST_OCTET = 254
LOCKS = Path(tempfile.gettempdir()) / "carers-netns"
_OURS = re.compile(r"^cc-(\d+)-n\d+$")


def _ip(*args: str, check: bool = True) -> str:
    """Run ``ip ARGS``; a failure raises with the command and iproute2's own message."""
    ip = shutil.which("ip")
    if ip is None:
        raise RuntimeError("`ip` (iproute2) is not on PATH: network namespaces need it")
    done = subprocess.run([ip, *args], capture_output=True, text=True, timeout=30, check=False)
    if check and done.returncode != 0:
        raise RuntimeError(f"`ip {' '.join(args)}` failed: {done.stderr.strip() or done.stdout}")
    return done.stdout


def unavailable() -> str | None:
    """Why namespaces cannot be made here (not root, no ``ip``, ``ip netns add`` refused),
    or None when they can: the probe makes and removes one namespace."""
    if os.geteuid() != 0:
        return "network namespaces need root (euid is not 0)"
    probe = f"cc-probe-{os.getpid()}"
    try:
        _ip("netns", "add", probe)
    except RuntimeError as error:
        return str(error)
    _ip("netns", "del", probe, check=False)
    return None


def _lock(x: int) -> IO[str] | None:
    """The lock on subnet ``x``, or None when another live run holds it."""
    LOCKS.mkdir(parents=True, exist_ok=True)
    handle = open(LOCKS / f"{x}.lock", "w")  # noqa: SIM115 - held open for the run's life
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return None
    return handle


def _remove(x: int) -> None:
    """Every object of subnet ``x`` we may have made; absent ones are fine."""
    for name in _ip("netns", "list", check=False).split():
        match = _OURS.match(name)
        if match and int(match.group(1)) == x:
            _ip("netns", "del", name, check=False)  # deleting a namespace deletes its veth end
    for line in _ip("-o", "link", "show", check=False).splitlines():
        fields = line.split(":")
        name = fields[1].strip().split("@")[0] if len(fields) > 1 else ""
        if re.fullmatch(rf"cc{x}n\d+h", name):
            _ip("link", "del", name, check=False)
    _ip("link", "del", f"ccbr{x}", check=False)


def sweep() -> list[int]:
    """Remove what runs that died without teardown left (their locks are free); returns the
    subnets swept. A live run's objects are never touched: its lock is held."""
    found = {
        int(m.group(1)) for n in _ip("netns", "list", check=False).split() if (m := _OURS.match(n))
    }
    for line in _ip("-o", "link", "show", check=False).splitlines():
        if m := re.search(r": ccbr(\d+):", line):
            found.add(int(m.group(1)))
    swept = []
    for x in sorted(found):
        handle = _lock(x)
        if handle is not None:
            _remove(x)
            swept.append(x)
            handle.close()
    return swept


class Network:
    """A host bridge and one namespace per node, on a /24 no other run holds."""

    def __init__(self, nodes: Sequence[int] = NODES) -> None:
        self.nodes = tuple(nodes)
        self.x: int | None = None
        self._lock: IO[str] | None = None

    def _subnet(self) -> int:
        if self.x is None:
            raise RuntimeError("the network has not been created")
        return self.x

    def address(self, node_id: int) -> str:
        return f"{PREFIX}.{self._subnet()}.{node_id}"

    @property
    def host_address(self) -> str:
        return f"{PREFIX}.{self._subnet()}.{HOST_OCTET}"

    def namespace(self, node_id: int) -> str:
        return f"cc-{self._subnet()}-n{node_id}"

    def host_veth(self, node_id: int) -> str:
        return f"cc{self._subnet()}n{node_id}h"

    @property
    def bridge(self) -> str:
        return f"ccbr{self._subnet()}"

    def create(self) -> None:
        """Claim a free subnet (lock held until :meth:`destroy`), then build the bridge,
        the namespaces and the veth pairs. Anything half-made is removed on failure."""
        sweep()
        in_use = _ip("-o", "addr", "show", check=False)
        for x in random.sample(range(1, 254), 253):
            if f" {PREFIX}.{x}." in in_use:
                continue  # someone else's (not ours: a swept run's is gone by now)
            handle = _lock(x)
            if handle is not None:
                self.x, self._lock = x, handle
                break
        else:
            raise RuntimeError(f"no free {PREFIX}.<x>.0/24 subnet for the cluster's namespaces")
        try:
            self._build()
        except BaseException:
            self.destroy()
            raise

    def _build(self) -> None:
        _ip("link", "add", self.bridge, "type", "bridge")
        _ip("addr", "add", f"{self.host_address}/24", "dev", self.bridge)
        _ip("link", "set", self.bridge, "up")
        for node_id in self.nodes:
            ns, host_end = self.namespace(node_id), self.host_veth(node_id)
            node_end = host_end[:-1] + "p"
            _ip("netns", "add", ns)
            _ip("link", "add", host_end, "type", "veth", "peer", "name", node_end)
            _ip("link", "set", node_end, "netns", ns)
            _ip("link", "set", host_end, "master", self.bridge, "up")
            _ip("-n", ns, "addr", "add", f"{self.address(node_id)}/24", "dev", node_end)
            _ip("-n", ns, "link", "set", node_end, "up")
            _ip("-n", ns, "link", "set", "lo", "up")

    def cut(self, node_id: int) -> None:
        """Cut node ``node_id`` off from the other nodes and from every client at once."""
        _ip("link", "set", self.host_veth(node_id), "down")

    def heal(self, node_id: int) -> None:
        _ip("link", "set", self.host_veth(node_id), "up")

    def is_cut(self, node_id: int) -> bool:
        return "state DOWN" in _ip("-o", "link", "show", self.host_veth(node_id))

    def destroy(self) -> None:
        """Remove the namespaces, veths and bridge and free the subnet; safe to call twice."""
        if self.x is None:
            return
        _remove(self.x)
        if self._lock is not None:
            self._lock.close()
        self.x, self._lock = None, None


def namespaces_of(x: int) -> list[str]:
    """Subnet ``x``'s namespaces still listed (a test asserts none are left behind)."""
    listed = _ip("netns", "list", check=False).split()
    return [n for n in listed if (m := _OURS.match(n)) and int(m.group(1)) == x]


class NetnsCluster(KafkaCluster):
    """:class:`KafkaCluster` whose nodes listen on their namespaces' addresses and whose JVMs
    start inside them (``ip netns exec`` execs java in place: the pid is the JVM's)."""

    def __init__(self, home: Path, network: Network) -> None:
        super().__init__(home, base_port=None)
        self.network = network

    def node_host(self, node_id: int) -> str:
        return self.network.address(node_id)

    def launch_prefix(self, node_id: int) -> list[str]:
        return [shutil.which("ip") or "ip", "netns", "exec", self.network.namespace(node_id)]

    def cut(self, node_id: int) -> None:
        self.network.cut(node_id)

    def heal(self, node_id: int) -> None:
        self.network.heal(node_id)


@contextlib.contextmanager
def temporary_netns_cluster(home: Path) -> Iterator[NetnsCluster]:
    """A cluster in namespaces for one test module; at the end (failure or not, and at exit
    if the interpreter ends first) its JVMs are killed and every namespace, veth and the
    bridge removed."""
    network = Network(NODES)
    atexit.register(network.destroy)
    cluster: NetnsCluster | None = None
    try:
        network.create()
        cluster = NetnsCluster(home, network)
        cluster.start(tie_to_parent=True)
        yield cluster
    finally:
        if cluster is not None:
            for node in cluster.nodes:
                node.kill()
        network.destroy()
        atexit.unregister(network.destroy)


def main(argv: list[str] | None = None) -> int:
    """``python -m shared.kafka.netns probe|sweep``: can namespaces be made; remove leftovers."""
    command = (argv if argv is not None else sys.argv[1:] or ["probe"])[0]
    if command == "sweep":
        print(f"swept subnets: {sweep() or 'none'}")
        return 0
    reason = unavailable()
    print(reason or "network namespaces can be made here")
    return 1 if reason else 0


if __name__ == "__main__":
    sys.exit(main())
