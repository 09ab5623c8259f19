"""The .deb installed where it cannot disturb this machine: an overlay on a cached Debian 12.

This machine may run Postfix (for the benchmarks), which the package
conflicts with, so it is never installed here: packaging/chroot_base.sh keeps
a minimal bookworm (with the package's dependencies) under /var/cache, and
each run installs into a throw-away overlay on top of it. No systemd runs in
the chroot, which is also the container case postinst must cope with.
Needs root (chroot, mount); the first run downloads Debian (a few minutes).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from appliance.version import __version__
from tests.packaging.conftest import ROOT, in_ci

BASE = Path(os.environ.get("MAILROOM_TEST_CHROOT", "/var/cache/mailroom-test-chroot/bookworm"))


def _need_root() -> None:
    if os.geteuid() == 0 and shutil.which("debootstrap"):
        return
    message = "installing the .deb in a chroot needs root and debootstrap"
    if in_ci():
        pytest.fail(message)
    pytest.skip(message)


def _mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True, capture_output=True)


@pytest.fixture
def chroot(tmp_path: Path) -> Iterator[Path]:
    _need_root()
    subprocess.run(["bash", str(ROOT / "packaging" / "chroot_base.sh"), str(BASE)],
                   check=True, capture_output=True, timeout=1200)
    merged = tmp_path / "root"
    upper, work = tmp_path / "upper", tmp_path / "work"
    for d in (merged, upper, work):
        d.mkdir()
    mounted: list[Path] = []
    try:
        try:
            _mount("-t", "overlay", "overlay", "-o",
                   f"lowerdir={BASE},upperdir={upper},workdir={work}", str(merged))
            mounted.append(merged)
        except subprocess.CalledProcessError:
            # No overlayfs here (e.g. inside some containers): a plain copy.
            merged.rmdir()
            shutil.copytree(BASE, merged, symlinks=True)
        _mount("-t", "proc", "proc", str(merged / "proc"))
        mounted.append(merged / "proc")
        _mount("--bind", "/dev", str(merged / "dev"))
        mounted.append(merged / "dev")
        yield merged
    finally:
        for m in reversed(mounted):
            subprocess.run(["umount", "-l", str(m)], capture_output=True)


def run(root: Path, script: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
           "HOME": "/root", "LANG": "C.UTF-8", "DEBIAN_FRONTEND": "noninteractive"}
    result = subprocess.run(["chroot", str(root), "/bin/sh", "-ec", script], env=env,
                            capture_output=True, text=True, timeout=300)
    if check and result.returncode != 0:
        raise AssertionError(f"{script!r} exited {result.returncode}:\n"
                             f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result


# The first run on a machine debootstraps the base (minutes); later runs take seconds.
@pytest.mark.timeout(1500)
def test_install_run_upgrade_remove_purge(chroot: Path, deb: Path) -> None:
    shutil.copy(deb, chroot / "tmp" / deb.name)
    assert not (chroot / "run" / "systemd" / "system").exists()  # no systemd: the container case

    run(chroot, f"apt-get install -y -qq /tmp/{deb.name} >/dev/null")
    assert run(chroot, "/usr/bin/mailroom --version").stdout.strip() == f"mailroom {__version__}"
    for link in ("usr/sbin/sendmail", "usr/bin/mailq", "usr/bin/newaliases"):
        assert os.path.realpath(chroot / link, strict=False).endswith("/opt/mailroom/mailroom")
    user = run(chroot, "getent passwd mailroom").stdout
    assert ":/var/lib/mailroom:" in user and user.rstrip().endswith("/usr/sbin/nologin")
    data = chroot / "var/lib/mailroom"
    assert data.is_dir()
    # Enabled (links made) even though systemd does not run here.
    wants = chroot / "etc/systemd/system/multi-user.target.wants"
    assert (wants / "mailroom.service").is_symlink() and (wants / "mailroom.path").is_symlink()
    assert (chroot / "usr/share/applications/mailroom.desktop").is_file()
    assert (chroot / "etc/xdg/autostart/mailroom-tray.desktop").is_file()
    assert (chroot / "usr/share/icons/hicolor/256x256/apps/mailroom.png").is_file()

    # The installed program sets up the system data directory and answers.
    run(chroot, "mailroom init --hostname mail.example.test --domain example.test")
    run(chroot, "printf 'pw-alice-1\\n' | mailroom account add alice@example.test "
                "--password-stdin")
    assert "alice@example.test" in run(chroot, "mailroom account list").stdout
    assert run(chroot, "mailroom status", check=False).returncode == 3  # not running
    assert (data / "mailroom.db").exists()

    # An upgrade (here: the same version again) keeps the database as it was first.
    run(chroot, f"dpkg -i /tmp/{deb.name} >/dev/null")
    snapshot = data / "backups" / f"pre-upgrade-{__version__}.db"
    assert snapshot.is_file() and snapshot.stat().st_size > 0
    assert snapshot.stat().st_mode & 0o077 == 0

    run(chroot, "dpkg -r mailroom >/dev/null")
    assert not (chroot / "opt/mailroom").exists()
    assert not os.path.lexists(chroot / "usr/sbin/sendmail")
    assert (data / "mailroom.db").exists()  # remove keeps the data
    assert run(chroot, "getent passwd mailroom", check=False).returncode == 0

    run(chroot, "dpkg -P mailroom >/dev/null")
    assert not data.exists()  # purge deletes it
    assert run(chroot, "getent passwd mailroom", check=False).returncode != 0
    assert run(chroot, "dpkg-query -W mailroom", check=False).returncode != 0


def test_unit_file_verifies(deb: Path, tmp_path: Path) -> None:
    """systemd-analyze verify on the unit, with the packaged program where ExecStart says."""
    if not shutil.which("systemd-analyze"):
        pytest.skip("systemd-analyze not installed")
    subprocess.run(["dpkg-deb", "-x", str(deb), str(tmp_path)], check=True)
    unit = tmp_path / "lib/systemd/system/mailroom.service"
    text = unit.read_text()
    for line in ("Type=notify", "User=mailroom", "StateDirectory=mailroom",
                 "AmbientCapabilities=CAP_NET_BIND_SERVICE",
                 "CapabilityBoundingSet=CAP_NET_BIND_SERVICE", "NoNewPrivileges=yes",
                 "ProtectSystem=strict", "Restart=on-failure",
                 "ExecStart=/opt/mailroom/mailroom serve --data-dir /var/lib/mailroom"):
        assert line in text.splitlines(), line
    # Verified where the package would put it, with ExecStart pointing into the
    # extracted tree: verify checks that the program exists and is executable.
    check = tmp_path / "mailroom.service"
    program = str(tmp_path / "opt/mailroom/mailroom")
    check.write_text(text.replace("/opt/mailroom/mailroom", program))
    result = subprocess.run(["systemd-analyze", "verify", str(check)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
