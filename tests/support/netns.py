"""A network namespace of the test's own, for running the real nft without touching the box.

Needs root and nft (packaging/deps.sh installs nftables and iproute2 for
the tests). Without them the tests skip and say why; in CI (CI=true) that
is a failure instead.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import pytest

__all__ = ["NetNamespace", "netns", "need_nft"]


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def need_nft() -> None:
    """Skip (fail in CI) unless this process may make namespaces and run nft."""
    missing = [t for t in ("nft", "ip") if not shutil.which(t, path="/usr/sbin:/sbin:/usr/bin:"
                                                                    + os.environ.get("PATH", ""))]
    why = ""
    if os.geteuid() != 0:
        why = "the firewall tests need root (network namespaces, nft)"
    elif missing:
        why = f"not installed: {', '.join(missing)} (bash packaging/deps.sh test)"
    if why:
        if _in_ci():
            pytest.fail(why)
        pytest.skip(why)


class NetNamespace:
    def __init__(self, name: str) -> None:
        self.name = name

    @property
    def prefix(self) -> list[str]:
        # nsenter rather than `ip netns exec`: that one also remounts / and /sys
        # for the namespace, which a chroot (the fresh-Debian check) refuses.
        return ["nsenter", f"--net=/run/netns/{self.name}"]

    def run(self, argv: Sequence[str], stdin: str | None = None) -> tuple[int, str, str]:
        """A firewall.system runner: the command inside the namespace."""
        done = subprocess.run([*self.prefix, *argv], input=stdin, capture_output=True,
                              text=True, timeout=30, check=False)
        return done.returncode, done.stdout, done.stderr

    def nft(self, *args: str) -> str:
        rc, out, err = self.run(["nft", *args])
        assert rc == 0, err
        return out


@contextmanager
def netns(tag: str) -> Iterator[NetNamespace]:
    need_nft()
    name = f"mailroom-{tag}-{os.getpid()}"
    subprocess.run(["ip", "netns", "add", name], check=True, capture_output=True)
    try:
        ns = NetNamespace(name)
        ns.run(["ip", "link", "set", "lo", "up"])
        yield ns
    finally:
        subprocess.run(["ip", "netns", "delete", name], check=False, capture_output=True)
