"""The Debian packages the web stack needs: which are missing, and installing them.

``php-fpm`` is named first: Roundcube depends on "php", which apt would
otherwise satisfy with Apache's PHP module and pull in apache2.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess

__all__ = ["PACKAGES", "WebmailPackagesError", "binaries", "install", "install_command", "missing"]

PACKAGES = ["php-fpm", "nginx-light", "roundcube-core", "roundcube-sqlite3", "roundcube-plugins"]


class WebmailPackagesError(RuntimeError):
    pass


def _installed(package: str) -> bool:
    try:
        out = subprocess.run(["dpkg-query", "-W", "-f=${Status}", package],
                             capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return out.returncode == 0 and "install ok installed" in out.stdout


def binaries() -> dict[str, str | None]:
    """The programs the stack runs (None when absent)."""
    fpm = sorted(glob.glob("/usr/sbin/php-fpm*"))
    return {"nginx": shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists(
        "/usr/sbin/nginx") else None), "php-fpm": fpm[-1] if fpm else None,
        "php": shutil.which("php")}


def missing() -> list[str]:
    """Packages to install; empty when the stack can run.

    A php-fpm or nginx that is there without Debian's package (another
    nginx flavour, a newer PHP) is good enough.
    """
    found = binaries()
    out = []
    for package in PACKAGES:
        if package == "php-fpm" and found["php-fpm"]:
            continue
        if package == "nginx-light" and found["nginx"]:
            continue
        if not _installed(package):
            out.append(package)
    return out


def install_command(packages: list[str]) -> str:
    return "apt-get install --no-install-recommends " + " ".join(packages)


def install(packages: list[str]) -> None:
    """Install ``packages`` with apt-get (root only); raises WebmailPackagesError."""
    if not packages:
        return
    if os.geteuid() != 0:
        raise WebmailPackagesError(
            f"webmail needs these packages: {' '.join(packages)}; install them as root: "
            f"sudo {install_command(packages)}")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (["apt-get", "update", "-qq"],
                ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages]):
        done = subprocess.run(cmd, capture_output=True, text=True, env=env)
        if done.returncode != 0:
            raise WebmailPackagesError(
                f"{' '.join(cmd)} failed: {(done.stderr or done.stdout).strip()[-800:]}")
    if os.path.isdir("/run/systemd/system") and "nginx-light" in packages:
        # Debian starts its own nginx (default site on port 80) and php-fpm
        # after the install; Mailroom runs its own, so those just installed go.
        subprocess.run(["systemctl", "disable", "--now", "nginx", "php*-fpm"],
                       capture_output=True, timeout=60)
