"""Webmail: time from ``webmail enable`` to the login page, and the memory the web stack adds.

    .venv/bin/python bench/webmail.py

Runs a real daemon on a free port offset, then ``mailroom webmail enable``
and polls the login page. Memory is the PSS (proportional set size, so
shared pages count once) of nginx and php-fpm with their workers: at idle,
after one login (the first worker is up), and side by side with the peer
setting, Debian's own php-fpm pool (``pm = dynamic``, 2 workers started,
as in /etc/php/*/fpm/pool.d/www.conf), on the same stack in the same run.
"""

from __future__ import annotations

import http.cookiejar
import re
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.daemon import Mailroom, make_mailroom  # noqa: E402

DEBIAN_POOL = ("pm = dynamic\npm.max_children = 5\npm.start_servers = 2\n"
               "pm.min_spare_servers = 1\npm.max_spare_servers = 3\n")


def pss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1])
    return 0


def family(root: int) -> list[int]:
    """``root`` and its children (nginx and php-fpm workers)."""
    pids = [root]
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if int(fields[1]) == root:
            pids.append(int(stat.parent.name))
    return pids


def stack_pss(m: Mailroom) -> tuple[int, int]:
    run = m.home / "webmail" / "run"
    out = []
    for name in ("nginx", "php-fpm"):
        root = int((run / f"{name}.pid").read_text())
        out.append(sum(pss_kb(p) for p in family(root)))
    return out[0], out[1]


def reload_fpm(m: Mailroom) -> None:
    """php-fpm re-reads its configuration (SIGUSR2) with a pool of fresh workers."""
    pid_file = m.home / "webmail" / "run" / "php-fpm.pid"
    before = set(family(int(pid_file.read_text())))
    subprocess.run(["kill", "-USR2", pid_file.read_text().strip()], check=True)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        time.sleep(0.2)
        try:
            now = set(family(int(pid_file.read_text())))
        except (OSError, ValueError):
            continue
        if not (now & before - {int(pid_file.read_text())}):
            time.sleep(0.5)  # let the new workers settle
            return


def opener() -> urllib.request.OpenerDirector:
    tls = ssl.create_default_context()
    tls.check_hostname, tls.verify_mode = False, ssl.CERT_NONE
    return urllib.request.build_opener(urllib.request.HTTPSHandler(context=tls),
                                       urllib.request.HTTPCookieProcessor(
                                           http.cookiejar.CookieJar()))


def login(url: str) -> None:
    web = opener()
    page = web.open(url, timeout=30).read().decode()
    token = re.search(r'name="_token" value="([^"]+)"', page)
    assert token, "no login form"
    form = urllib.parse.urlencode({"_token": token.group(1), "_task": "login",
                                   "_action": "login", "_timezone": "UTC",
                                   "_user": "alice@example.test", "_pass": "pw-alice-1"})
    inbox = web.open(url + "?_task=login", data=form.encode(), timeout=30).read().decode()
    assert "rcmail" in inbox and "_task=logout" in inbox, "login failed"


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        m = make_mailroom(Path(tmp))
        m.start()
        try:
            url = f"https://127.0.0.1:{443 + m.offset}/webmail/"
            started = time.monotonic()
            subprocess.run([*m.program, "webmail", "enable"], env=m.env, check=True,
                           capture_output=True, cwd=ROOT)
            while True:
                try:
                    if "rcmloginuser" in opener().open(url, timeout=5).read().decode():
                        break
                except OSError:
                    pass
                time.sleep(0.02)
            ready = time.monotonic() - started
            figures: dict[str, tuple[int, int]] = {}
            for pool in ("Mailroom (pm=ondemand)", "Debian's pool (pm=dynamic)"):
                if pool.startswith("Debian"):
                    conf = m.home / "webmail" / "php-fpm.conf"
                    conf.write_text(re.sub(r"pm = ondemand\npm.max_children = \d+\n",
                                           DEBIAN_POOL, conf.read_text()))
                reload_fpm(m)  # a fresh pool: ondemand has no worker, dynamic starts 2
                figures[f"{pool}, idle"] = stack_pss(m)
                login(url)
                figures[f"{pool}, after a login"] = stack_pss(m)
        finally:
            m.stop()
    print(f"webmail enable → login page: {ready:.2f} s (CLI start-up, config, nginx, "
          "php-fpm, first PHP request)")
    print(f"{'PSS, kB':<44}{'nginx':>8}{'php-fpm':>10}{'total':>8}")
    for name, (nginx, fpm) in figures.items():
        print(f"{name:<44}{nginx:>8}{fpm:>10}{nginx + fpm:>8}")


if __name__ == "__main__":
    main()
