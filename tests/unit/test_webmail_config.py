"""The webmail's wiring: the proxy address check; the files for nginx, php-fpm, Roundcube."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from appliance.webmail import url_for
from appliance.webmail.config import Layout, Plan, nginx_conf, php_fpm_conf, roundcube_conf
from appliance.webmail.proxy import proxied_client


def test_proxy_address_needs_loopback_and_the_token() -> None:
    authz = "mailroom-proxy:s3cret:203.0.113.9"
    assert proxied_client(authz, "127.0.0.1", "s3cret") == "203.0.113.9"
    assert proxied_client("mailroom-proxy:s3cret:2001:db8::7", "::1", "s3cret") == "2001:db8::7"
    assert proxied_client(authz, "192.0.2.1", "s3cret") is None  # not from this machine
    assert proxied_client(authz, "127.0.0.1", "other") is None
    assert proxied_client(authz, "127.0.0.1", None) is None  # webmail never enabled
    assert proxied_client("mailroom-proxy:s3cret:not-an-ip", "127.0.0.1", "s3cret") is None
    assert proxied_client("bob@example.test", "127.0.0.1", "s3cret") is None


def plan(tmp_path: Path, **kw: object) -> Plan:
    values: dict[str, object] = dict(
        layout=Layout(tmp_path / "webmail"), listen=["127.0.0.1", "::1"], port=18443,
        backend="127.0.0.1", imap_port=20143, submission_port=20587, managesieve_port=24190,
        hostname="mail.example.test", domain="example.test", cert=tmp_path / "cert.pem",
        key=tmp_path / "key.pem", des_key="k'ey\\24", proxy_token="tok")
    values.update(kw)
    return Plan(**values)  # type: ignore[arg-type]


def test_roundcube_talks_to_our_listeners(tmp_path: Path) -> None:
    text = roundcube_conf(plan(tmp_path))
    assert "$config['imap_host'] = 'tls://127.0.0.1:20143';" in text
    assert "$config['smtp_host'] = 'tls://127.0.0.1:20587';" in text
    assert "$config['smtp_user'] = '%u';" in text
    assert "$config['managesieve_host'] = 'tls://127.0.0.1:24190';" in text
    assert "$config['plugins'] = ['managesieve', 'markasjunk', 'mailroom_proxy'];" in text
    assert "$config['des_key'] = 'k\\'ey\\\\24';" in text  # quoted for PHP
    assert f"sqlite:///{tmp_path}/webmail/db/roundcube.sqlite" in text
    assert "$config['use_https'] = true;" in text


def test_web_server_and_php(tmp_path: Path) -> None:
    conf = nginx_conf(plan(tmp_path, run_as="www-data"))
    assert "listen 127.0.0.1:18443 ssl;" in conf and "listen [::1]:18443 ssl;" in conf
    assert "user www-data;" in conf
    assert "location ~ \\.(php|inc|sh|dist|sql|log|md|lock)$ { return 404; }" in conf
    fpm = php_fpm_conf(plan(tmp_path))
    assert "pm = ondemand" in fpm and "user =" not in fpm
    assert "php_admin_value[session.cookie_secure] = 1" in fpm
    assert url_for("mail.example.test", 443) == "https://mail.example.test/webmail/"
    assert url_for("mail.example.test", 18443) == "https://mail.example.test:18443/webmail/"


def test_nginx_accepts_the_file(tmp_path: Path) -> None:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        pytest.skip("nginx not installed")
    from appliance.tls import make_self_signed

    make_self_signed("mail.example.test", tmp_path / "cert.pem", tmp_path / "key.pem")
    p = plan(tmp_path)
    for d in (p.layout.logs, p.layout.run, *(p.layout.nginx_temp / k for k in (
            "client_body", "proxy", "fastcgi", "uwsgi", "scgi"))):
        d.mkdir(parents=True, exist_ok=True)
    (tmp_path / "nginx.conf").write_text(nginx_conf(p))
    done = subprocess.run([nginx, "-t", "-c", str(tmp_path / "nginx.conf"), "-p", str(tmp_path),
                           "-e", str(p.layout.logs / "e.log")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
