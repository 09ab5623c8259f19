"""The web stack's configuration files, written from Mailroom's settings (pure functions).

Three programs, each with a file of its own under ``DATA/webmail/``:

- nginx (``nginx.conf``): HTTPS with Mailroom's certificate on the webmail
  port; ``/webmail/`` is Debian's Roundcube (``/var/lib/roundcube/public_html``),
  its one PHP entry point handed to php-fpm, its static files served
  directly and no other ``.php`` file served at all.
- php-fpm (``php-fpm.conf``): one ``ondemand`` pool, so at idle only the
  master runs; the pool's ``auto_prepend_file`` (``prepend.php``) points
  Roundcube at Mailroom's configuration and plugin directories instead of
  ``/etc/roundcube``.
- Roundcube (``config/config.inc.php``): our IMAP, submission and
  ManageSieve on loopback with STARTTLS, SQLite in ``DATA/webmail/db/``
  (kept by ``webmail disable``), the ``des_key`` from the secrets store.

Nothing under ``/etc`` is touched: the system's own nginx sites and
Roundcube configuration stay as they are, and Debian's upgrades of
Roundcube replace only its code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "ROUNDCUBE_ROOT",
    "Layout",
    "Plan",
    "nginx_conf",
    "php_fpm_conf",
    "prepend_php",
    "roundcube_conf",
]

ROUNDCUBE_ROOT = Path("/var/lib/roundcube")  # Debian's roundcube-core
_PLUGINS = ["managesieve", "markasjunk", "mailroom_proxy"]


@dataclass(frozen=True)
class Layout:
    """Where the web stack's files live, under ``DATA/webmail``."""

    root: Path

    @property
    def config(self) -> Path:
        return self.root / "config"

    @property
    def plugins(self) -> Path:
        return self.root / "plugins"

    @property
    def db(self) -> Path:
        return self.root / "db"

    @property
    def run(self) -> Path:
        return self.root / "run"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def temp(self) -> Path:
        return self.root / "temp"

    @property
    def nginx_temp(self) -> Path:
        return self.root / "nginx-temp"

    @property
    def socket(self) -> Path:
        return self.run / "php-fpm.sock"

    @property
    def nginx_pid(self) -> Path:
        return self.run / "nginx.pid"

    @property
    def fpm_pid(self) -> Path:
        return self.run / "php-fpm.pid"

    @property
    def database(self) -> Path:
        return self.db / "roundcube.sqlite"

    def writable(self) -> list[Path]:
        """Directories the web stack's processes write to."""
        return [self.db, self.run, self.logs, self.temp, self.nginx_temp]


@dataclass(frozen=True)
class Plan:
    """Everything the files depend on: ports, addresses, names, keys."""

    layout: Layout
    listen: list[str]  # addresses nginx binds
    port: int
    backend: str  # where the daemon's listeners are reached from here (loopback)
    imap_port: int
    submission_port: int
    managesieve_port: int
    hostname: str
    domain: str
    cert: Path
    key: Path
    des_key: str
    proxy_token: str
    run_as: str | None = None  # the user nginx workers and php-fpm run as (when root)
    max_upload: int = 25 * 1024 * 1024
    extra: dict[str, str] = field(default_factory=dict)


def _php(value: object) -> str:
    """A PHP literal for a str/int/bool/list/dict (JSON is close enough; escapes differ)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    if isinstance(value, list):
        return "[" + ", ".join(_php(v) for v in value) + "]"
    if isinstance(value, dict):
        return "[" + ", ".join(f"{_php(k)} => {_php(v)}" for k, v in value.items()) + "]"
    raise TypeError(f"no PHP literal for {value!r}")


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def roundcube_conf(plan: Plan) -> str:
    backend = _url_host(plan.backend)
    # Loopback to our own daemon: the certificate may name only the public
    # host, so it is not checked; nothing leaves the machine.
    loopback_tls = {"ssl": {"verify_peer": False, "verify_peer_name": False}}
    settings: dict[str, object] = {
        "db_dsnw": f"sqlite:///{plan.layout.database}?mode=0600",
        "imap_host": f"tls://{backend}:{plan.imap_port}",
        "imap_auth_type": "PLAIN",
        "imap_conn_options": loopback_tls,
        "smtp_host": f"tls://{backend}:{plan.submission_port}",
        "smtp_user": "%u",
        "smtp_pass": "%p",
        "smtp_auth_type": "PLAIN",
        "smtp_conn_options": loopback_tls,
        # Roundcube 1.6 takes the port in the host URI only (managesieve_port is gone).
        "managesieve_host": f"tls://{backend}:{plan.managesieve_port}",
        "managesieve_auth_type": "PLAIN",
        "managesieve_conn_options": loopback_tls,
        "managesieve_vacation": 0,
        "username_domain": plan.domain,
        "mail_domain": plan.domain,
        "des_key": plan.des_key,
        "plugins": _PLUGINS,
        "product_name": "Mailroom Webmail",
        "support_url": "",
        "skin": "elastic",
        "use_https": True,
        "session_samesite": "Strict",
        "temp_dir": f"{plan.layout.temp}/",
        "log_dir": f"{plan.layout.logs}/",
        "log_driver": "file",
        "enable_installer": False,
        "junk_mbox": "Junk",
        "max_message_size": "25M",
        "mailroom_proxy_token": plan.proxy_token,
        **plan.extra,
    }
    lines = ["<?php", "// Written by Mailroom (mailroom webmail enable); edits are overwritten.",
             "$config = [];"]
    lines += [f"$config[{_php(k)}] = {_php(v)};" for k, v in settings.items()]
    return "\n".join(lines) + "\n"


def prepend_php(plan: Plan) -> str:
    """Run before Roundcube's index.php: our config and plugin directories."""
    return (
        "<?php\n// Written by Mailroom: Roundcube reads Mailroom's configuration.\n"
        f"define('RCMAIL_CONFIG_DIR', {_php(str(plan.layout.config))});\n"
        f"define('RCUBE_PLUGINS_DIR', {_php(str(plan.layout.plugins) + '/')});\n"
    )


def php_fpm_conf(plan: Plan, error_log: Path | None = None) -> str:
    lay = plan.layout
    user = ""
    if plan.run_as:
        user = (f"user = {plan.run_as}\ngroup = {plan.run_as}\n"
                f"listen.owner = {plan.run_as}\nlisten.group = {plan.run_as}\n")
    admin = {
        "auto_prepend_file": str(lay.root / "prepend.php"),
        "upload_max_filesize": str(plan.max_upload),
        "post_max_size": str(plan.max_upload + 5 * 1024 * 1024),
        "memory_limit": "128M",
        "session.cookie_secure": "1",
        "session.cookie_httponly": "1",
        "error_log": str(lay.logs / "php-error.log"),
        "log_errors": "1",
        "display_errors": "0",
        "max_execution_time": "120",
    }
    return (
        "; Written by Mailroom (mailroom webmail enable); edits are overwritten.\n"
        "[global]\n"
        f"pid = {lay.fpm_pid}\n"
        f"error_log = {error_log or lay.logs / 'php-fpm.log'}\n"
        "daemonize = yes\n\n"
        "[roundcube]\n"
        f"{user}"
        f"listen = {lay.socket}\n"
        "listen.mode = 0600\n"
        # At idle only the master runs: workers start with the first request.
        "pm = ondemand\n"
        "pm.max_children = 8\n"
        "pm.process_idle_timeout = 60s\n"
        "request_terminate_timeout = 150s\n"
        "clear_env = yes\n"
        + "".join(f"php_admin_value[{k}] = {v}\n" for k, v in admin.items())
    )


def nginx_conf(plan: Plan, mime_types: str = "/etc/nginx/mime.types",
               fastcgi_params: str = "/etc/nginx/fastcgi_params") -> str:
    lay = plan.layout
    public = ROUNDCUBE_ROOT / "public_html"
    listens = "".join(f"        listen {_url_host(h)}:{plan.port} ssl;\n" for h in plan.listen)
    temps = "".join(f"    {kind}_temp_path {lay.nginx_temp / kind};\n"
                    for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    php = (
        f"            include {fastcgi_params};\n"
        f"            fastcgi_param SCRIPT_FILENAME {public}/index.php;\n"
        "            fastcgi_param SCRIPT_NAME /webmail/index.php;\n"
        "            fastcgi_param HTTPS on;\n"
        f"            fastcgi_pass unix:{lay.socket};\n"
        "            fastcgi_read_timeout 150s;\n"
    )
    return (
        "# Written by Mailroom (mailroom webmail enable); edits are overwritten.\n"
        + (f"user {plan.run_as};\n" if plan.run_as else "")
        + "worker_processes 1;\n"
        "daemon on;\n"
        f"pid {lay.nginx_pid};\n"
        f"error_log {lay.logs / 'nginx-error.log'} warn;\n"
        "events { worker_connections 256; }\n"
        "http {\n"
        f"    include {mime_types};\n"
        "    default_type application/octet-stream;\n"
        f"    access_log {lay.logs / 'nginx-access.log'};\n"
        f"{temps}"
        "    server_tokens off;\n"
        "    sendfile on;\n"
        f"    client_max_body_size {plan.max_upload + 5 * 1024 * 1024};\n"
        "    client_body_timeout 60s;\n"
        "    client_header_timeout 30s;\n"
        "    keepalive_timeout 30s;\n"
        "    server {\n"
        f"{listens}"
        f"        server_name {plan.hostname};\n"
        f"        ssl_certificate {plan.cert};\n"
        f"        ssl_certificate_key {plan.key};\n"
        "        ssl_protocols TLSv1.2 TLSv1.3;\n"
        "        add_header X-Content-Type-Options nosniff always;\n"
        "        add_header Referrer-Policy same-origin always;\n"
        "        location = / { return 302 /webmail/; }\n"
        "        location = /webmail { return 301 /webmail/; }\n"
        "        location = /webmail/ {\n"
        f"{php}"
        "        }\n"
        "        location = /webmail/index.php {\n"
        f"{php}"
        "        }\n"
        "        location ^~ /webmail/ {\n"
        f"            alias {public}/;\n"
        # Only the entry point above runs; plugin sources and the like are
        # not for the browser, not even as text.
        "            location ~ \\.(php|inc|sh|dist|sql|log|md|lock)$ { return 404; }\n"
        "            location ~ /\\. { return 404; }\n"
        "            expires 7d;\n"
        "        }\n"
        "        location / { return 404; }\n"
        "    }\n"
        "}\n"
    )

