"""Hosts as network namespaces on one bridge.

Each host is a namespace with a veth pair: one end (`eth0`) inside with the host's address, the other on a bridge
in the root namespace, which holds the subnet's first address (so the test, in the root namespace, reaches every
host, and the hosts reach each other through the bridge). Names carry a random token: two runs never collide, and
`Network.remove` deletes only its own. Nothing routes out of the subnet: the hosts have no default route.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
import shutil
import subprocess
from dataclasses import dataclass, field


class Unsupported(RuntimeError):
    """This machine cannot build the hosts (not root, no `ip netns`, a binary missing): the reason says which."""


def check_supported(binaries: dict[str, str | None]) -> None:
    """Raise `Unsupported` with the first reason the hosts cannot be built here; `binaries` maps each needed
    program's name to its path (None: not found)."""
    if os.geteuid() != 0:
        raise Unsupported("the hosts are network namespaces: run as root")
    if shutil.which("ip") is None:
        raise Unsupported("`ip` (iproute2) is missing")
    probe = f"ocprobe{secrets.token_hex(3)}"
    created = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True)
    if created.returncode != 0:
        raise Unsupported(f"`ip netns add` fails here: {created.stderr.strip()[:200]}")
    subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    for name, path in binaries.items():
        if path is None:
            raise Unsupported(f"{name} is missing (docs/deploy.md says how to install it)")


def ip(*args: str) -> None:
    done = subprocess.run(["ip", *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {done.stderr.strip()}")


@dataclass
class Network:
    """A bridge and the hosts on it. `add` makes a host; `remove` deletes them all (each step is undone even if a
    later one fails)."""

    token: str = field(default_factory=lambda: secrets.token_hex(2))
    subnet: ipaddress.IPv4Network = field(default_factory=lambda: _free_subnet())
    hosts: dict[str, str] = field(default_factory=dict)  # host name -> its address
    _made: list[tuple[str, ...]] = field(default_factory=list)  # what to delete, newest last

    @property
    def bridge(self) -> str:
        return f"oc{self.token}br"

    @property
    def gateway(self) -> str:
        return str(self.subnet.network_address + 1)

    def namespace(self, host: str) -> str:
        return f"optirec-{self.token}-{host}"

    def create(self) -> None:
        ip("link", "add", self.bridge, "type", "bridge")
        self._made.append(("link", "del", self.bridge))
        ip("addr", "add", f"{self.gateway}/{self.subnet.prefixlen}", "dev", self.bridge)
        ip("link", "set", self.bridge, "up")

    def add(self, host: str) -> str:
        """A new host named `host`: its namespace, with loopback up and `eth0` on the bridge. Returns its address."""
        ns = self.namespace(host)
        address = str(self.subnet.network_address + 10 + len(self.hosts))
        veth = f"oc{self.token}v{len(self.hosts)}"
        ip("netns", "add", ns)
        self._made.append(("netns", "del", ns))
        ip("link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns)
        ip("link", "set", veth, "master", self.bridge, "up")
        ip("-n", ns, "addr", "add", f"{address}/{self.subnet.prefixlen}", "dev", "eth0")
        ip("-n", ns, "link", "set", "eth0", "up")
        ip("-n", ns, "link", "set", "lo", "up")
        self.hosts[host] = address
        return address

    def run_in(self, host: str) -> list[str]:
        """The command prefix that runs a program on `host`."""
        return ["ip", "netns", "exec", self.namespace(host)]

    def remove(self) -> None:
        """Delete the namespaces (and with them their veth ends) and the bridge; errors are ignored (a step that
        never happened)."""
        while self._made:
            subprocess.run(["ip", *self._made.pop()], capture_output=True)


def _free_subnet() -> ipaddress.IPv4Network:
    """A /24 in 10.231.0.0/16 that no interface of this machine uses yet."""
    used = subprocess.run(["ip", "-4", "-o", "addr"], capture_output=True, text=True).stdout
    for _ in range(50):
        third = secrets.randbelow(250) + 1
        if f"10.231.{third}." not in used:
            return ipaddress.IPv4Network(f"10.231.{third}.0/24")
    raise RuntimeError("no free subnet in 10.231.0.0/16")
