"""The daemon: every listener, the queue manager and the control API in one event loop.

``Daemon`` builds the pieces from the state store, starts them, applies a
changed configuration on ``reload`` without dropping sessions or mail, and
stops cleanly on SIGTERM. Blocking work goes to one shared thread pool.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import pwd
import random
import signal
import socket
import ssl
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

from appliance.allocator import release_free_memory, tune_for_daemon
from appliance.auth import Authenticator
from appliance.auth.bans import BANS_FILE, BanList, LoginGuard, policy_from_settings
from appliance.authcheck import smtp_hook
from appliance.backup import BackupJobs
from appliance.control.client import ensure_secret
from appliance.control.operations import Operations
from appliance.control.server import ControlServer, EventHub
from appliance.delivery.dispatch import RemoteDispatcher
from appliance.delivery.remote import RemoteConfig, Smarthost
from appliance.delivery.supervisor import DeliveryProcess
from appliance.dkim import DkimKey, DkimStore, Signer
from appliance.dns.check import DnsWatch, check_published
from appliance.durable import DirectorySync
from appliance.home import Home
from appliance.imap import ImapServer
from appliance.logs import get_logger, log_file_state, set_rotation, setup_logging, stop_logging
from appliance.managesieve import ManageSieveServer
from appliance.pop3 import PopServer
from appliance.queue.intake import Intake
from appliance.queue.manager import QueueManager, QueuePolicy
from appliance.queue.pickup import Drop, Pickup
from appliance.queue.spool import Spool
from appliance.screening import Screening
from appliance.service.listen_errors import explain
from appliance.service.notify import Notifier
from appliance.service.storage import FreeSpace
from appliance.sieve.storage import ScriptStore, account_home
from appliance.smtp.aiosmtpd_compat import AiosmtpdVersionError
from appliance.smtp.policy import in_networks
from appliance.smtp.server import ListenerConfig, SmtpContext, SmtpLimits, SmtpListener
from appliance.spam import rspamd
from appliance.spam.training import Trainer
from appliance.state import State
from appliance.state.access import CachedRules
from appliance.state.cache import DirectoryCache
from appliance.state.settings import SETTINGS
from appliance.stats import Stats
from appliance.store import Mailstore
from appliance.tls import ReloadableContext, make_self_signed
from appliance.webmail import Webmail, WebmailError
from appliance.webmail.proxy import TOKEN_SECRET, proxied_client

__all__ = ["Daemon", "ServeOptions", "SERVICES", "free_port_offset"]

log = get_logger("master")


class Listener(Protocol):
    async def start(self, host: Any, port: int) -> None: ...
    async def stop(self) -> None: ...
    @property
    def sockets(self) -> list[tuple[str, int]]: ...


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    kind: str  # smtp, pop3, imap
    tls: str  # starttls, implicit
    auth_required: bool = False


# Each service's settings are "<name>.enabled" and "<name>.port".
SERVICES: list[ServiceSpec] = [
    ServiceSpec("smtp", "smtp", "starttls"),
    ServiceSpec("submission", "smtp", "starttls", auth_required=True),
    ServiceSpec("smtps", "smtp", "implicit", auth_required=True),
    ServiceSpec("pop3", "pop3", "starttls"),
    ServiceSpec("pop3s", "pop3", "implicit"),
    ServiceSpec("imap", "imap", "starttls"),
    ServiceSpec("imaps", "imap", "implicit"),
    ServiceSpec("managesieve", "managesieve", "starttls", auth_required=True),
]


@dataclass
class ServeOptions:
    listen: list[str] = field(default_factory=list)  # overrides the "listen" setting
    port_offset: int = 0
    foreground_log: bool = False
    # Where a listener that could not start is reported at start-up (stderr).
    report: Callable[[str], None] | None = None


def _to_stderr(text: str) -> None:
    print(f"mailroom: {text}", file=sys.stderr, flush=True)


@dataclass
class _Running:
    spec: ServiceSpec
    hosts: list[str]
    port: int
    listener: Listener | None
    state: str = "stopped"
    error: str = ""


def ensure_tls(home: Home, state: State) -> tuple[Any, Any]:
    cert = state.get_setting("tls.cert") or str(home.tls / "cert.pem")
    key = state.get_setting("tls.key") or str(home.tls / "key.pem")
    from pathlib import Path

    cert_path, key_path = Path(cert), Path(key)
    if not cert_path.exists() or not key_path.exists():
        home.tls.mkdir(parents=True, exist_ok=True)
        make_self_signed(state.get_setting("hostname"), cert_path, key_path)
    return cert_path, key_path


def free_port_offset(host: str = "127.0.0.1", low: int = 20000, high: int = 30000) -> int:
    """A ``--port-offset`` under which every service's standard port is free on ``host``.

    For trying Mailroom out, the screenshots and the tests: nothing binds
    the real mail ports. The ports stay below Linux's ephemeral range
    (32768 and up), where the kernel picks ports for ``bind(0)`` and for
    outgoing connections: a port free now must not be handed to someone
    else (a test's sink, a client's source port) a moment later.
    """
    ports = [s.name for s in SERVICES] + ["webmail"]  # the web stack takes its port too
    standard = [int(SETTINGS[f"{name}.port"].default) for name in ports]

    def free(port: int) -> bool:
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((host, port))
            except OSError:
                return False
        return True

    # Even the highest port (ManageSieve's 4190) must stay under 32768.
    high = min(high, 32768 - max(standard) - 900)
    for _ in range(200):
        offset = random.randrange(low, high, 1000) + random.randrange(0, 900)
        if all(free(port + offset) for port in standard):
            return offset
    raise RuntimeError("no free port offset")


STOP_DRAIN = 60.0


async def _retire_sender(sender: RemoteDispatcher | DeliveryProcess) -> None:
    """Close a sender that was replaced, once its deliveries in flight are answered."""
    try:
        if isinstance(sender, DeliveryProcess):
            await sender.drain(STOP_DRAIN)
        await sender.close()
    except Exception:  # noqa: BLE001 - the new sender carries on; say what happened
        log.exception("delivery: closing the previous sender failed")


def _fingerprint(*paths: Any) -> tuple[tuple[str, int, int], ...]:
    # The inode too: an installed certificate is a new file renamed into place.
    return tuple((str(p), os.stat(p).st_mtime_ns, os.stat(p).st_ino) for p in paths)


class Daemon:
    def __init__(self, home: Home, options: ServeOptions | None = None) -> None:
        self.home = home
        self.options = options or ServeOptions()
        self.state = State(home.db)
        self.settings = self.state.settings()
        self.bus = setup_logging(
            home.log_file, self.settings["hostname"],
            max_bytes=self.settings["log.max_bytes"], keep=self.settings["log.keep"],
            to_stderr=self.options.foreground_log,
        )
        self.events = EventHub()
        self.bus.subscribe(lambda line: self.events.publish("log", {"line": line}))
        # Before the pool's threads allocate: each login's 19 MiB argon2 area would
        # otherwise stay behind in their malloc arenas (appliance.allocator).
        tune_for_daemon()
        self.executor = ThreadPoolExecutor(max_workers=48, thread_name_prefix="mailroom-io")
        self.dirsync = DirectorySync()
        self.spool = Spool(home.queue, self.dirsync)
        # Accepting mail has its own thread: a backlog of deliveries must
        # never delay the 250 a client is waiting for.
        self.intake = Intake(self.spool)
        self.store = Mailstore(home.mail, self.settings["hostname"], self.dirsync)
        self.bans = BanList(home.root / BANS_FILE, policy_from_settings(self.settings))
        # The relay networks are never banned: a typo on the LAN must not lock the office out.
        self.guard = LoginGuard(self.bans, exempt=lambda ip: in_networks(ip, self.relay_networks()))
        from appliance.firewall.feed import BanFeed

        # Bans also go into the firewall's drop sets, where Mailroom's nftables table exists.
        BanFeed(self.bans, self.executor).sync()
        self.authenticate = Authenticator(self.state, self.executor, self.guard,
                                          self.settings["auth.failure_delay_ms"] / 1000)
        self.directory = DirectoryCache(self.state)
        # Attachments, viruses and spam at the end of DATA; its warnings go on the dashboard.
        self.screening = Screening(
            lambda: self.settings, executor=self.executor,
            is_ours=lambda name: (name == self.settings["hostname"]
                                  or self.directory.is_local_domain(name)))
        self.trainer = Trainer(lambda: self.settings)  # IMAP moves into/out of Junk teach rspamd
        self.stats = Stats(home.db)
        self.dkim = DkimStore(self.state.secrets)
        self.dns_watch = DnsWatch(
            lambda: check_published(self.state, self.dkim),
            interval=lambda: float(self.settings["dns.check_interval"]),
            on_change=lambda warnings: self.events.publish("dns", {"warnings": warnings}))
        self.remote: RemoteDispatcher | DeliveryProcess = self._remote_sender()
        self._retiring_senders: set[asyncio.Task[None]] = set()
        self.queue = QueueManager(
            self.spool, self.store, self.directory,
            hostname=self.settings["hostname"], executor=self.executor,
            policy=self._policy(), remote=self.remote, on_event=self._delivery_event,
        )
        self.queue.off_loop = self.intake.call  # removals ride on the intake's thread
        self.operations = Operations(home, self.state, self)
        # Backups: one job at a time (now, verify, restore) and the daily schedule. The
        # settings as stored, not as last reloaded: a CLI change made without the daemon
        # (while it was starting) still counts.
        self.backups = BackupJobs(home.root, self.state.settings,
                                  on_event=lambda job: self.events.publish("backup", job))
        self.control = ControlServer(home, self.operations, self.events)
        self.tls_context: ssl.SSLContext | None = None
        self.running: dict[str, _Running] = {}
        self.started = time.time()
        self.paused = False
        self._stop = asyncio.Event()
        self._relay_cache: tuple[float, list[str]] = (0.0, [])
        self.pickup = Pickup(
            home.maildrop, self._pickup_submit, executor=self.executor,
            max_size=lambda: self.settings["smtp.max_message_size"],
            max_recipients=lambda: self.settings["smtp.max_recipients"])
        self.webmail = Webmail(home.root, self.state)
        self.webmail_error = ""
        self.free_space = FreeSpace(
            home.root, lambda: self.settings["queue.minfree"],
            on_change=lambda low: self.events.publish("storage", {"low": low}))
        from appliance.acme import Renewal
        from appliance.control.tls_operations import apply_renewed

        # Renews a certificate from ACME when due (acme.check_interval).
        self.renewal = Renewal(
            home.tls, lambda: self.settings, lambda: self.options.listen or
            list(self.settings["listen"]),
            lambda: ensure_tls(self.home, self.state)[0],
            lambda issued, method: apply_renewed(self.operations, issued, method),
            log.info, self.executor)

    def _policy(self) -> QueuePolicy:
        s = self.settings
        return QueuePolicy(
            workers=s["queue.delivery_workers"], retry_base=s["queue.retry_base"],
            retry_cap=s["queue.retry_cap"], lifetime=s["queue.lifetime"],
            delay_warning=s["queue.delay_warning"],
        )

    def _limits(self) -> SmtpLimits:
        s = self.settings
        return SmtpLimits(
            max_message_size=s["smtp.max_message_size"], max_recipients=s["smtp.max_recipients"],
            timeout=s["smtp.timeout"], max_errors=s["smtp.max_errors"],
            max_connections=s["smtp.max_connections"],
            max_connections_per_ip=s["smtp.max_connections_per_ip"],
        )

    def _remote_sender(self) -> RemoteDispatcher | DeliveryProcess:
        """What sends outside mail: a delivery process of its own, or this process."""
        limits = {"max_total": self.settings["delivery.max_connections"],
                  "max_per_destination": self.settings["delivery.max_per_destination"]}
        dkim_enabled = lambda: bool(self.settings["dkim.enabled"])  # noqa: E731 - read per message
        if self.settings["delivery.worker_process"]:
            # Signing and the SMTP client in a second process: two cores for mail out.
            return DeliveryProcess(
                self.remote_config, hostname=lambda: self.settings["hostname"],
                dkim_enabled=dkim_enabled, keys_for=self.dkim_keys, executor=self.executor,
                **limits)
        return RemoteDispatcher(self.remote_config,
                                sign=Signer(self.dkim_keys, enabled=dkim_enabled), **limits)

    def _switch_remote_sender(self) -> None:
        """delivery.worker_process changed: new messages go the new way at once.

        The old sender finishes what it has in flight (a delivery process is
        given up to STOP_DRAIN seconds; what is still unanswered then is
        deferred and retried, never lost) and then closes its connections.
        """
        old, self.remote = self.remote, self._remote_sender()
        self.queue.remote = self.remote
        log.info("delivery: outside mail now sent %s",
                 "by a delivery process" if isinstance(self.remote, DeliveryProcess)
                 else "by the daemon itself")
        task = asyncio.get_running_loop().create_task(_retire_sender(old))
        self._retiring_senders.add(task)
        task.add_done_callback(self._retiring_senders.discard)

    def remote_config(self) -> RemoteConfig:
        s = self.settings
        smarthost = None
        if s["smarthost.host"]:
            smarthost = Smarthost(
                host=s["smarthost.host"], port=s["smarthost.port"], tls=s["smarthost.tls"],
                username=s["smarthost.username"] or None,
                password=s["smarthost.password"] or None, verify=s["smarthost.verify"],
            )
        return RemoteConfig(
            helo_name=s["hostname"], nameservers=s["dns.nameservers"] or None,
            port=s["delivery.remote_port"], connect_timeout=s["delivery.connect_timeout"],
            smarthost=smarthost,
        )

    def dkim_keys(self, domain: str) -> list[DkimKey]:
        """The keys that sign mail From: ``domain`` (an alias uses its domain's keys)."""
        canonical = self.directory.canonical_domain(domain)
        if canonical is None:
            return []
        return self.dkim.ensure(canonical).signing()  # a domain without keys gets them now

    def _ensure_dkim_keys(self) -> None:
        for domain in self.state.domains():
            self.dkim.ensure(domain)
            self.dkim.prune(domain)

    def _delivery_event(self, kind: str, data: dict[str, Any]) -> None:
        local = self.directory.is_local_domain(str(data.get("to", "")).rpartition("@")[2])
        self.stats.count("in" if local else "out", kind.removeprefix("message."))
        self.events.publish(kind, data)

    async def _pickup_submit(self, uid: int, drop: Drop) -> str:
        """Queue a message a local user dropped, as the control API's message.submit would."""
        from appliance.cli.sendmail import prepare

        sender = drop.sender
        if sender is None:
            try:
                user = pwd.getpwuid(uid).pw_name
            except KeyError:
                user = f"uid{uid}"
            sender = f"{user}@{self.settings['hostname']}"
        message, _ = prepare(drop.message, sender=sender, full_name=drop.full_name,
                             extract=False, rcpts=drop.recipients)
        qid: str = await self.operations.call("message.submit", {
            "sender": "" if sender == "<>" else sender, "recipients": drop.recipients,
            "message": base64.b64encode(message).decode()})
        return qid

    def count(self, direction: str, kind: str) -> None:
        self.stats.count(direction, kind)

    # Seconds between writes of the statistics counters (a crash loses at most these).
    stats_interval = 5.0

    async def _flush_stats(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(self.stats_interval)
            self.bans.sweep()  # the same tick logs the bans that ran out
            try:
                await loop.run_in_executor(self.executor, self.stats.flush)
            except Exception:
                log.exception("cannot write statistics")

    def relay_networks(self) -> list[str]:
        # Read at most once a second: RCPT is hot, a change shows up quickly enough.
        now = time.monotonic()
        if now - self._relay_cache[0] > 1.0:
            self._relay_cache = (now, self.state.relay_networks())
        return self._relay_cache[1]

    def smtp_context(self) -> SmtpContext:
        return SmtpContext(
            hostname=self.settings["hostname"],
            directory=self.directory,
            enqueue=self.intake.enqueue,
            relay_networks=self.relay_networks,
            authenticate=self.authenticate.for_service("smtp"),
            banned=self.guard.refused,
            accepted=self.queue.accept,
            usage_of=lambda address: self.store.usage(address)[0],
            paused=lambda: self.paused,
            count=self.count,
            granted_senders=self.directory.granted_senders,
            sender_check=lambda: bool(self.settings["submission.sender_check"]),
            local_sender_check=lambda: bool(self.settings["smtp.local_sender_check"]),
            storage_low=self.free_space.is_low,
            access_rules=CachedRules(self.state.access_rules),
            inbound_check=smtp_hook(lambda: self.settings, self.directory.is_local_domain,
                                    self.executor),
            screen=self.screening.check,
        )

    # -- listeners --------------------------------------------------------

    def _wanted(self) -> dict[str, tuple[ServiceSpec, list[str], int]]:
        hosts = self.options.listen or list(self.settings["listen"])
        wanted = {}
        for spec in SERVICES:
            if self.settings.get(f"{spec.name}.enabled", True):
                port = self.settings[f"{spec.name}.port"] + self.options.port_offset
                wanted[spec.name] = (spec, hosts, port)
        return wanted

    def _make_listener(self, spec: ServiceSpec, hosts: list[str], port: int) -> Listener:
        if spec.kind == "smtp":
            config = ListenerConfig(
                name=spec.name, implicit_tls=spec.tls == "implicit", starttls=True,
                auth_required=spec.auth_required,
            )
            return SmtpListener(self.smtp_context(), config, self._limits(), self.tls_context)
        if spec.kind == "managesieve":
            sieve = ManageSieveServer(
                self.authenticate.for_service("managesieve"),
                lambda address: ScriptStore(account_home(self.home.root, address)),
                hostname=self.settings["hostname"], tls_context=self.tls_context)
            sieve.banned = self.guard.refused
            return sieve
        common: dict[str, Any] = {
            "hostname": self.settings["hostname"],
            "tls_context": self.tls_context,
            "implicit_tls": spec.tls == "implicit",
            "allow_plaintext_from_loopback": self.settings["auth.plaintext_from_loopback"],
        }
        common["max_connections"] = self.settings[f"{spec.kind}.max_connections"]
        common["max_connections_per_ip"] = self.settings[f"{spec.kind}.max_connections_per_ip"]
        authenticate = self.authenticate.for_service(spec.kind)
        server: ImapServer | PopServer
        if spec.kind == "imap":
            server = ImapServer(self.store, authenticate, quota_of=self._quota_of, **common)
            server.moved = self.trainer.moved
            server.proxied_client = self._proxied_client
        else:
            server = PopServer(self.store, authenticate, **common)
        server.banned = self.guard.refused
        return server

    def _proxied_client(self, authzid: str, peer: str) -> str | None:
        return proxied_client(authzid, peer, self.state.secrets.get(TOKEN_SECRET))

    def webmail_sync(self) -> str:
        """Run the web stack while webmail.enabled, stop it otherwise; the error, or ""."""
        try:
            if self.settings["webmail.enabled"]:
                self.webmail.start(self.options.listen or list(self.settings["listen"]),
                                   self.options.port_offset)
            else:
                self.webmail.stop()
            self.webmail_error = ""
        except (WebmailError, OSError) as exc:
            self.webmail_error = f"webmail: {exc}"
            log.error("%s", self.webmail_error)
        return self.webmail_error

    def _quota_of(self, address: str) -> int:
        account = self.directory.account(address)
        return account.quota_bytes if account else 0

    async def _start_listener(self, name: str, spec: ServiceSpec, hosts: list[str],
                              port: int) -> None:
        running = _Running(spec, hosts, port, None)
        self.running[name] = running
        try:
            listener = self._make_listener(spec, hosts, port)
            await listener.start(hosts if len(hosts) > 1 else hosts[0], port)
        except (OSError, AiosmtpdVersionError) as exc:
            running.state, running.error = "failed", explain(name, hosts, port, exc)
            log.error("%s: cannot listen on %s port %d: %s", name, ",".join(hosts), port,
                      running.error)
            self.events.publish("service", {"name": name, "state": "failed",
                                            "error": running.error})
            return
        running.listener, running.state = listener, "running"
        log.info("%s: listening on %s", name,
                 ", ".join(f"{h}:{p}" for h, p in listener.sockets))
        self.events.publish("service", {"name": name, "state": "running"})

    async def _stop_listener(self, name: str, *, end_sessions: bool = False) -> None:
        running = self.running.pop(name, None)
        if running and running.listener:
            await running.listener.stop()
            close = getattr(running.listener, "close_sessions", None)
            if end_sessions and close is not None:
                await close()
            self.events.publish("service", {"name": name, "state": "stopped"})

    # -- life cycle -------------------------------------------------------

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        loop.set_default_executor(self.executor)
        self.events.bind(loop)
        ensure_secret(self.home)
        cert, key = ensure_tls(self.home, self.state)
        # One context for the listeners' lifetime; a new certificate is loaded into it.
        self.tls = ReloadableContext(cert, key)
        self.tls_context = self.tls.context
        self._tls_files = _fingerprint(cert, key)
        self._renewal_task = asyncio.create_task(self.renewal.run())
        # Before the listeners: a full disk refuses mail from the first session.
        await loop.run_in_executor(self.executor, self.free_space.check)
        self._storage_task = asyncio.create_task(self.free_space.watch(self.executor))
        # Domains from before DKIM get their keys before the first message leaves.
        await loop.run_in_executor(self.executor, self._ensure_dkim_keys)
        await self.queue.start()
        self.intake.start()
        await loop.run_in_executor(self.executor, self.home.open_maildrop)
        # Drops made while the daemon was down are taken on its first look.
        self._pickup_task = asyncio.create_task(self.pickup.run())
        for name, (spec, hosts, port) in self._wanted().items():
            await self._start_listener(name, spec, hosts, port)
        await self.control.start()
        if self.settings["webmail.enabled"]:
            await loop.run_in_executor(self.executor, self.webmail_sync)
        self._stats_task = asyncio.create_task(self._flush_stats())
        self._dns_task = asyncio.create_task(self.dns_watch.run())
        self._backup_task = asyncio.create_task(self.backups.run_schedule())
        # What start-up freed (settings, TLS contexts, the first queue scan) goes back
        # to the system rather than staying in the heap of an idle daemon (~1.5 MB).
        await loop.run_in_executor(self.executor, release_free_memory)
        (self.home.run / "mailroom.pid").write_text(str(os.getpid()))
        log.info("daemon started (pid %d, data %s)", os.getpid(), self.home.root)

    async def stop(self) -> None:
        log.info("daemon stopping")
        self._pickup_task.cancel()
        for name in list(self.running):
            await self._stop_listener(name, end_sessions=True)
        await self.intake.stop()
        await self.queue.stop()
        await self.remote.close()  # QUIT the idle cached SMTP connections
        for task in list(self._retiring_senders):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await rspamd.close()  # the kept-alive connections to rspamd
        if self.webmail.running():
            await asyncio.get_running_loop().run_in_executor(self.executor, self.webmail.stop)
        self._stats_task.cancel()
        self._dns_task.cancel()
        self._backup_task.cancel()
        self._renewal_task.cancel()
        self._storage_task.cancel()
        self.stats.flush()
        await self.control.stop()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.home.run / "mailroom.pid")
        self.executor.shutdown(wait=True, cancel_futures=False)
        self.state.close()
        log.info("daemon stopped")
        stop_logging()

    async def run(self) -> int:
        """Serve until stopped; 1 when not one listener could start."""
        await self.start()
        failed = [r for r in self.running.values() if r.state == "failed"]
        report = self.options.report or _to_stderr
        for r in failed:
            report(r.error)
        if failed and len(failed) == len(self.running):
            log.error("no listener could start: stopping")
            report("no listener could start: stopping")
            await self.stop()
            return 1
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self._stop.set)
        loop.add_signal_handler(signal.SIGHUP, lambda: asyncio.ensure_future(self.reload()))
        # systemd (Type=notify) counts the service as started only now, with
        # the listeners bound, so units ordered after it find mail accepted.
        notifier = Notifier()
        notifier.ready(f"{len(self.running) - len(failed)} listeners up")
        keep_alive = notifier.start_keep_alive()
        await self._stop.wait()
        notifier.stopping()
        if keep_alive is not None:
            keep_alive.cancel()
        await self.stop()
        return 0

    def request_stop(self) -> None:
        self._stop.set()

    # -- hooks for the control API ----------------------------------------

    def status(self) -> dict[str, Any]:
        services = []
        for name, r in self.running.items():
            sockets = r.listener.sockets if r.listener else []
            services.append({
                "name": name,
                "kind": r.spec.kind,
                "tls": r.spec.tls,
                "hosts": r.hosts,
                "port": r.port,
                "state": r.state,
                "error": r.error,
                "sockets": [f"{h}:{p}" for h, p in sockets],
            })
        queued = {q: len(self.spool.ids(q)) for q in ("active", "deferred", "hold")}
        problems = [s["error"] or f"{s['name']} is {s['state']}"
                    for s in services if s["state"] != "running"]
        if self.webmail_error:
            problems.append(self.webmail_error)
        if self.free_space.low:
            problems.append(f"disk space low: {self.free_space.free} bytes free, under "
                            f"queue.minfree {self.settings['queue.minfree']}: new mail is "
                            "refused until there is room")
        return {
            # "degraded" while any enabled listener is down: a green "running"
            # would hide that mail is not received on that port.
            "health": "degraded" if problems else "running",
            "problems": problems,
            "pid": os.getpid(),
            "hostname": self.settings["hostname"],
            "data_dir": str(self.home.root),
            "uptime": time.time() - self.started,
            "paused": self.paused,
            "services": services,
            "queue": queued,
            "delivery_process": (self.remote.describe() if isinstance(self.remote, DeliveryProcess)
                                 else {"enabled": False}),
            "storage": self.free_space.to_dict(),
            "log": log_file_state(),
            # Not problems (mail flows), but the admin should know: e.g. a DNS
            # record that passed the last check and fails now.
            "warnings": self.backups.warnings() + list(self.dns_watch.warnings)
            + list(self.renewal.warnings)
            + self.screening.current_warnings(),
        }

    async def reload(self) -> dict[str, Any]:
        """Apply changed settings: restart only the listeners whose address changed."""
        before = self.remote_config()
        self.settings = self.state.settings()
        if self.remote_config() != before:
            # The way out changed (DNS, smarthost...): what waited for a
            # retry may well go through now, as after `postqueue -f`.
            self.queue.flush()
        cert, key = ensure_tls(self.home, self.state)
        if _fingerprint(cert, key) != self._tls_files:
            # New handshakes get the new certificate; sessions keep theirs.
            self.tls.load(cert, key)
            log.info("tls: certificate %s loaded", cert)
        self._tls_files = _fingerprint(cert, key)
        self.renewal.wake()
        self.queue.policy = self._policy()
        set_rotation(self.settings["log.max_bytes"], self.settings["log.keep"])
        worker_wanted = bool(self.settings["delivery.worker_process"])
        if isinstance(self.remote, DeliveryProcess) != worker_wanted:
            self._switch_remote_sender()
        self.remote.max_per_destination = self.settings["delivery.max_per_destination"]
        self.bans.policy = policy_from_settings(self.settings)
        self.authenticate.failure_delay = self.settings["auth.failure_delay_ms"] / 1000
        wanted = self._wanted()
        changed = []
        for name in list(self.running):
            r = self.running[name]
            want = wanted.get(name)
            if (
                want is None
                or (want[1], want[2]) != (r.hosts, r.port)
                or r.state != "running"
            ):
                await self._stop_listener(name)
                changed.append(name)
        for name, (spec, hosts, port) in wanted.items():
            if name not in self.running:
                await self._start_listener(name, spec, hosts, port)
                changed.append(name)
            else:
                # Same socket, new settings: new sessions get the new limits,
                # sessions in progress keep theirs.
                listener = self.running[name].listener
                if isinstance(listener, ImapServer | PopServer):
                    listener.tls_context = self.tls_context
                    listener.max_connections = self.settings[f"{spec.kind}.max_connections"]
                    listener.max_connections_per_ip = self.settings[
                        f"{spec.kind}.max_connections_per_ip"]
                if isinstance(listener, ManageSieveServer):
                    listener.tls_context = self.tls_context
                if isinstance(listener, SmtpListener):
                    listener.ctx = self.smtp_context()
                    listener.limits = self._limits()
                    listener.tls_context = self.tls_context
                    listener.handler.ctx = listener.ctx
                    listener.handler.limits = listener.limits
        await asyncio.get_running_loop().run_in_executor(self.executor, self.webmail_sync)
        log.info("reload: configuration applied%s",
                 f"; restarted {', '.join(sorted(set(changed)))}" if changed else "")
        return {"restarted": sorted(set(changed))}

    def state_changed(self) -> None:
        """Called by the control API after any operation: drop cached lookups."""
        self.directory.invalidate()
        self._relay_cache = (0.0, [])
        if isinstance(self.remote, DeliveryProcess):
            self.remote.forget_keys()  # a domain or its DKIM keys may have changed

    def queue_changed(self, qid: str | None, action: str) -> None:
        if action == "flush":
            self.queue.flush()
        elif action == "retry" and qid:
            self.queue.retry_now(qid)
        elif action == "new" and qid:
            self.stats.count("out", "received")
            self.queue.submit(qid)
        elif action == "bounce" and qid:
            self.queue.bounce_now(qid)
        size = sum(len(self.spool.ids(q)) for q in ("active", "deferred", "hold"))
        self.events.publish("queue", {"id": qid, "action": action, "size": size})

    def set_paused(self, paused: bool) -> None:
        self.paused = paused
        log.info("incoming mail %s", "paused" if paused else "resumed")
        self.events.publish("service", {"name": "incoming", "state":
                                        "paused" if paused else "running"})
