"""Hosts for fault tests, made of Linux network namespaces on one machine: each host is a
namespace with one veth link to a bridge (the "switch", a namespace of its own) and an address
in 10.77.0.0/24. Traffic stays between the namespaces made here, and they are removed at the
end. Needs root and iproute2."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

SUBNET = "10.77.0"


def available() -> str | None:
    """Why these tests cannot run here, or None when they can."""
    if os.geteuid() != 0:
        return "network namespaces need root"
    if shutil.which("ip") is None:
        return "iproute2 (ip) is not installed"
    probe = subprocess.run(["ip", "netns", "add", "annprobe"], capture_output=True, text=True, check=False)
    if probe.returncode != 0:
        return f"cannot make a network namespace: {probe.stderr.strip()}"
    subprocess.run(["ip", "netns", "del", "annprobe"], check=False)
    return None


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, text=True)


class Network:
    """`hosts` maps a host's name to its addresses (the last octet of each)."""

    def __init__(self, hosts: dict[str, Sequence[int]], prefix: str = "ann") -> None:
        self.prefix = f"{prefix}{os.getpid() % 10000}"
        self.hosts = {name: [f"{SUBNET}.{octet}" for octet in octets] for name, octets in hosts.items()}
        self.switch = f"{self.prefix}-sw"
        self.processes: list[subprocess.Popen[bytes]] = []

    def namespace(self, host: str) -> str:
        return f"{self.prefix}-{host}"

    def address(self, host: str, index: int = 0) -> str:
        return self.hosts[host][index]

    def link(self, host: str) -> str:
        """The host's end of its link (inside the host's namespace)."""
        return "eth0"

    def up(self) -> None:
        _ip("netns", "add", self.switch)
        _ip("-n", self.switch, "link", "add", "br0", "type", "bridge")
        _ip("-n", self.switch, "link", "set", "br0", "up")
        for number, (host, addresses) in enumerate(self.hosts.items()):
            ns = self.namespace(host)
            _ip("netns", "add", ns)
            _ip("-n", ns, "link", "set", "lo", "up")
            port = f"p{number}"
            _ip(
                "link",
                "add",
                f"{self.prefix}x{number}",
                "type",
                "veth",
                "peer",
                "name",
                f"{self.prefix}y{number}",
            )
            _ip("link", "set", f"{self.prefix}x{number}", "netns", ns)
            _ip("-n", ns, "link", "set", f"{self.prefix}x{number}", "name", "eth0")
            _ip("link", "set", f"{self.prefix}y{number}", "netns", self.switch)
            _ip("-n", self.switch, "link", "set", f"{self.prefix}y{number}", "name", port)
            _ip("-n", self.switch, "link", "set", port, "master", "br0")
            _ip("-n", self.switch, "link", "set", port, "up")
            for address in addresses:
                _ip("-n", ns, "addr", "add", f"{address}/24", "dev", "eth0")
            _ip("-n", ns, "link", "set", "eth0", "up")

    def down(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
        for process in reversed(self.processes):
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        for host in self.hosts:
            subprocess.run(["ip", "netns", "del", self.namespace(host)], check=False, capture_output=True)
        subprocess.run(["ip", "netns", "del", self.switch], check=False, capture_output=True)

    def run(
        self,
        host: str,
        args: Sequence[str],
        *,
        env: dict[str, str] | None = None,
        log: Path | None = None,
        user: str | None = None,
        cwd: Path | None = None,
    ) -> subprocess.Popen[bytes]:
        """Start a process on `host` (in its namespace); it is stopped by down()."""
        command = ["ip", "netns", "exec", self.namespace(host)]
        if user:
            command += ["runuser", "-u", user, "--"]
        output = log.open("ab") if log else subprocess.DEVNULL
        process = subprocess.Popen(
            [*command, *args], env=env, stdout=output, stderr=subprocess.STDOUT, cwd=cwd
        )
        self.processes.append(process)
        return process

    def call(
        self, host: str, args: Sequence[str], *, env: dict[str, str] | None = None, timeout: float = 120,
        user: str | None = None, cwd: Path | None = None,
    ) -> subprocess.CompletedProcess[str]:  # fmt: skip
        command = ["ip", "netns", "exec", self.namespace(host)]
        if user:
            command += ["runuser", "-u", user, "--"]
        done = subprocess.run(
            [*command, *args], env=env, capture_output=True, text=True, timeout=timeout, check=False, cwd=cwd
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"{' '.join(args)} on {host} failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
            )
        return done

    def cut(self, host: str) -> None:
        """Take the host's link down: nothing reaches it or leaves it."""
        _ip("-n", self.namespace(host), "link", "set", "eth0", "down")

    def drop_to(self, host: str, address: str) -> None:
        """From `host`, packets to `address` vanish (a partition on one path only)."""
        _ip("-n", self.namespace(host), "route", "add", "blackhole", f"{address}/32")


def wait_for_port(network: Network, host: str, address: str, port: int, timeout: float = 60) -> None:
    """Wait until `address:port` accepts connections, seen from `host`."""
    deadline = time.monotonic() + timeout
    probe = f"import socket; socket.create_connection(({address!r}, {port}), timeout=1).close()"
    while time.monotonic() < deadline:
        done = subprocess.run(
            ["ip", "netns", "exec", network.namespace(host), "python3", "-c", probe],
            capture_output=True, check=False,
        )  # fmt: skip
        if done.returncode == 0:
            return
        time.sleep(0.3)
    raise TimeoutError(f"{address}:{port} did not answer {host} within {timeout} s")
