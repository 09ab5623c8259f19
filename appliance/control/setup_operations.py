"""The first-run wizard's operations (``setup.*``, ``smarthost.test``) and ``logs.append``.

They are ordinary operations (served by a running daemon, listed by
``names()``), and they also work before a data directory exists: with no
daemon the client runs them here in-process without the state store
(``run_bare``), so the wizard reaches the appliance only through the control
client, like every other page. ``setup.init`` makes the data directory.
``logs.append`` is how the desktop program writes a crashed daemon's exit
status and last output into the mail log (the daemon is gone, so in-process).
"""

from __future__ import annotations

import asyncio
import inspect
import smtplib
import socket
import ssl
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

from appliance.control.operations import OPERATIONS, Operations, op
from appliance.control.types import ControlError
from appliance.home import Home

__all__ = ["BARE_OPERATIONS", "may_run_bare", "run_bare", "smtp_test"]

# Run in-process with no daemon and maybe no data directory. Only these,
# which write nothing but setup.init (which makes the data directory).
BARE_OPERATIONS = frozenset({"setup.defaults", "setup.check_names", "setup.check_account",
                             "setup.check_networks", "setup.check_smarthost", "setup.init",
                             "smarthost.test", "logs.append"})


@dataclass
class _Bare:
    """What a setup operation may use when there is no state store yet."""

    home: Home
    state: Any = None
    daemon: Any = None


def may_run_bare(name: str, local_fallback: bool) -> bool:
    # setup.init for the system service is pkexec's job (ServiceInit), never this user's.
    return name in BARE_OPERATIONS and (local_fallback or name != "setup.init")


def run_bare(home: Home, name: str, args: dict[str, Any]) -> Any:
    fn = OPERATIONS[name]
    ops = _Bare(home)
    try:
        inspect.signature(fn).bind(ops, **args)
    except TypeError as exc:
        raise ControlError(f"bad arguments for {name}: {exc}") from exc
    result = fn(ops, **args)
    if inspect.isawaitable(result):
        result = asyncio.run(_wait(result))
    return result


async def _wait(awaitable: Any) -> Any:
    return await awaitable


def _real_hostname() -> str:
    """This machine's full host name, or "" when it has none worth offering."""
    name = socket.getfqdn()
    if "." not in name or name.endswith((".localdomain", ".local")) or "localhost" in name:
        return ""
    return name


@op("setup.defaults")
def setup_defaults(ops: Operations | _Bare) -> dict[str, Any]:
    """What the wizard starts from: guesses for a new box, the current values of a set-up one."""
    from appliance.control.setup import default_gateways, guess_networks
    from appliance.state import DEFAULT_RELAY

    out: dict[str, Any] = {
        "initialized": ops.home.initialized(), "hostname": _real_hostname(),
        "hostname_example": "mail.example.com", "domain": "",
        "networks": guess_networks(), "gateways": default_gateways(),
        "default_relay": list(DEFAULT_RELAY), "current": None,
    }
    state = ops.state
    if state is not None:
        values = state.settings()
        domains = state.domains()
        out["current"] = {
            "hostname": values["hostname"], "domains": domains,
            "domain": domains[0] if domains else "",
            "accounts": [a.address for a in state.accounts()],
            "networks": state.relay_networks(),
            "smarthost": {k: values[k] for k in values if k.startswith("smarthost.")
                          and k != "smarthost.password"},
            "smarthost_password_set": bool(values.get("smarthost.password")),
        }
    return out


@op("setup.check_names")
def setup_check_names(ops: Operations | _Bare, hostname: str, domain: str) -> dict[str, str]:
    from appliance.control.setup import check_names

    host, dom = check_names(hostname, domain)
    return {"hostname": host, "domain": dom}


@op("setup.check_account")
def setup_check_account(ops: Operations | _Bare, address: str, password: str,
                        domain: str) -> str:
    from appliance.control.setup import check_account

    return check_account(address, password, domain)


@op("setup.check_networks")
def setup_check_networks(ops: Operations | _Bare, networks: list[str],
                         gateways: list[str] | None = None) -> dict[str, Any]:
    """The entries in stored form and the warnings about them (public ranges, NAT routers)."""
    from appliance.control.setup import check_networks, relay_gateway_warnings

    stored = check_networks(networks)
    return {"networks": stored, "warnings": relay_gateway_warnings(stored, gateways)}


@op("setup.check_smarthost")
def setup_check_smarthost(ops: Operations | _Bare, host: str, port: int) -> None:
    from appliance.control.setup import check_smarthost

    check_smarthost(host, int(port))


@op("setup.init")
def setup_init(ops: Operations | _Bare, hostname: str, domain: str) -> dict[str, str]:
    """Make the data directory (state database, secret, certificate, first domain)."""
    from appliance.control.setup import initialize

    initialize(ops.home, hostname, domain)
    return {"data_dir": str(ops.home.root)}


# -- the ISP relay's test ------------------------------------------------------

def _plain(exc: BaseException, host: str, port: int) -> str:
    """A failed connection in words an admin can act on."""
    if isinstance(exc, ConnectionRefusedError):
        return f"{host} refuses connections on port {port} (nothing listens there, or a firewall)"
    if isinstance(exc, (TimeoutError, socket.timeout)):
        return f"{host} did not answer on port {port} in time"
    if isinstance(exc, socket.gaierror):
        return f"no such host: {host}"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return (f"the certificate of {host} is not trusted ({exc.verify_message}); "
                "turn off the certificate check only if you trust this network")
    if isinstance(exc, ssl.SSLError):
        return f"TLS with {host} failed: {exc.reason or exc}"
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return f"{host} closed the connection ({exc})"
    return f"{host}:{port}: {exc}"


def smtp_test(host: str, port: int, tls: str, username: str, password: str, verify: bool,
              sender: str, recipient: str, helo: str, timeout: float = 20.0) -> dict[str, Any]:
    """Send one test message through a relay; the SMTP dialogue's replies, step by step."""
    steps: list[str] = []
    context = ssl.create_default_context()
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    msg = EmailMessage()
    msg["From"], msg["To"] = sender, recipient
    msg["Subject"] = "Mailroom test message"
    msg["Date"] = format_datetime(datetime.now().astimezone())
    msg["Message-ID"] = make_msgid(domain=helo)
    msg.set_content(f"This message was sent by Mailroom on {helo} through the ISP relay "
                    f"{host}:{port} to check the relay settings.\n")
    try:
        cls = smtplib.SMTP_SSL if tls == "implicit" else smtplib.SMTP
        kwargs: dict[str, Any] = {"context": context} if tls == "implicit" else {}
        with cls(host, port, local_hostname=helo, timeout=timeout, **kwargs) as smtp:
            code, text = smtp.ehlo()
            steps.append(f"EHLO: {code} {text.decode(errors='replace').splitlines()[0]}")
            if tls == "starttls":
                if not smtp.has_extn("starttls"):
                    return {"ok": False, "reply": f"{host} does not offer STARTTLS; choose "
                            "'TLS on 465' or no encryption", "steps": steps}
                code, text = smtp.starttls(context=context)
                steps.append(f"STARTTLS: {code} {text.decode(errors='replace')}")
                smtp.ehlo()
            if username:
                code, text = smtp.login(username, password)
                steps.append(f"AUTH: {code} {text.decode(errors='replace')}")
            for verb, (code, text) in (("MAIL FROM", smtp.mail(sender)),
                                       ("RCPT TO", smtp.rcpt(recipient))):
                steps.append(f"{verb}: {code} {text.decode(errors='replace')}")
                if code >= 400:
                    return {"ok": False, "reply": f"{code} {text.decode(errors='replace')}",
                            "steps": steps}
            code, text = smtp.data(msg.as_bytes())
            reply = f"{code} {text.decode(errors='replace')}"
            steps.append(f"DATA: {reply}")
            if code >= 400:
                return {"ok": False, "reply": reply, "steps": steps}
    except smtplib.SMTPAuthenticationError as exc:
        reply = f"{exc.smtp_code} {exc.smtp_error.decode(errors='replace')}"
        return {"ok": False, "reply": f"the relay refused the user name or password: {reply}",
                "steps": steps}
    except smtplib.SMTPNotSupportedError:
        return {"ok": False, "reply": f"{host} offers no login (AUTH) on this connection",
                "steps": steps}
    except smtplib.SMTPResponseException as exc:
        reply = f"{exc.smtp_code} {exc.smtp_error.decode(errors='replace')}"
        return {"ok": False, "reply": reply, "steps": steps}
    except smtplib.SMTPRecipientsRefused as exc:
        rcode, rtext = next(iter(exc.recipients.values()))
        return {"ok": False, "reply": f"{rcode} {rtext.decode(errors='replace')}",
                "steps": steps}
    except (OSError, smtplib.SMTPException) as exc:
        return {"ok": False, "reply": _plain(exc, host, port), "steps": steps}
    return {"ok": True, "reply": reply, "steps": steps}


@op("smarthost.test")
async def smarthost_test(ops: Operations | _Bare, recipient: str, host: str = "",
                         port: int = 0, tls: str = "", username: str = "",
                         password: str = "", verify: bool | None = None,
                         sender: str = "") -> dict[str, Any]:
    """Send a test message through the ISP relay; an empty argument means the stored setting.

    The form's unsaved values can be tried before they are saved; the stored
    password is used when none is given.
    """
    from appliance.state.settings import SettingError, parse_setting

    stored: dict[str, Any] = ops.state.settings() if ops.state is not None else {}

    def pick(key: str, given: Any) -> Any:
        value = given if given not in ("", 0, None) else stored.get(key)
        if value in ("", 0, None):
            from appliance.state.settings import SETTINGS

            value = SETTINGS[key].default
        try:
            return parse_setting(key, value)
        except SettingError as exc:
            raise ControlError(str(exc), key) from exc

    host_v, port_v = pick("smarthost.host", host), pick("smarthost.port", port)
    if not host_v:
        raise ControlError("no ISP relay host set", "smarthost.host")
    tls_v = pick("smarthost.tls", tls)
    user_v = username or stored.get("smarthost.username", "")
    pass_v = password or stored.get("smarthost.password", "")
    verify_v = verify if verify is not None else pick("smarthost.verify", "")
    helo = str(stored.get("hostname") or socket.getfqdn())
    domains = ops.state.domains() if ops.state is not None else []
    sender_v = sender or (f"postmaster@{domains[0]}" if domains else f"postmaster@{helo}")
    if "@" not in recipient.strip():
        raise ControlError("give the address the test message goes to", "recipient")
    loop = asyncio.get_running_loop()
    # smtplib blocks: off the daemon's loop, so listeners keep answering.
    return await loop.run_in_executor(None, lambda: smtp_test(
        host_v, port_v, tls_v, user_v, pass_v, bool(verify_v), sender_v, recipient.strip(),
        helo))


@op("logs.append")
def logs_append(ops: Operations | _Bare, lines: list[str]) -> int:
    """Add finished log lines to the mail log (no rotation here: that is the daemon's job)."""
    from appliance.logs import LogFile

    file = LogFile(ops.home.log_file, max_bytes=0)
    try:
        for line in lines:
            file.add(str(line).replace("\n", " "))
        file.write_pending()
    except OSError as exc:
        raise ControlError(f"cannot write {ops.home.log_file}: {exc}") from exc
    finally:
        file.close()
    return len(lines)
