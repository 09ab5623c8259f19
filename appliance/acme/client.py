"""Getting a certificate from an ACME CA (Let's Encrypt) with certbot's ``acme`` library.

Blocking (the library speaks HTTP through requests): callers run it off the
event loop. Files, all under ``tls/acme/`` in the data directory, 0600:

- ``account.json``: the account key and URI, per CA directory;
- ``certificate.json``: what was ordered (names, CA, e-mail, method), so the
  daemon can renew it, and the last renewal error;
- ``pending.json``: a DNS-01 order waiting for its TXT records.

The issued chain and its fresh key go back to the caller, which checks and
installs them like an imported certificate.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "AcmeError", "AcmeOptions", "Issued", "issue", "begin_dns", "finish_dns", "read_record",
    "write_record", "renewal_window", "LETS_ENCRYPT",
]

LETS_ENCRYPT = "https://acme-v02.api.letsencrypt.org/directory"
USER_AGENT = "mailroom-acme"


class AcmeError(Exception):
    """Issuing failed; the message says why and what to do."""


@dataclass
class AcmeOptions:
    directory: str = LETS_ENCRYPT
    email: str = ""
    http_port: int = 80
    hosts: list[str] = field(default_factory=list)  # where the HTTP-01 responder listens
    ca_file: str = ""  # an extra CA for the ACME server's own HTTPS (a private CA, tests)
    timeout: float = 45.0  # seconds to wait for the CA to validate and issue

    @property
    def verify(self) -> bool | str:
        return self.ca_file or True


@dataclass
class Issued:
    cert_pem: bytes
    key_pem: bytes
    names: list[str]


def _acme_dir(tls_dir: Path) -> Path:
    path = tls_dir / "acme"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def _write_json(path: Path, data: dict[str, Any]) -> None:
    from appliance.tls import write_private

    write_private(path, json.dumps(data, indent=2).encode())


def read_record(tls_dir: Path) -> dict[str, Any] | None:
    """What was ordered from the CA last (None: the certificate did not come from ACME)."""
    try:
        data: dict[str, Any] = json.loads((tls_dir / "acme" / "certificate.json").read_text())
        return data
    except (OSError, ValueError):
        return None


def write_record(tls_dir: Path, record: dict[str, Any]) -> None:
    _write_json(_acme_dir(tls_dir) / "certificate.json", record)


def _new_key_pem() -> bytes:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    # RSA, as the self-signed one: older Outlook and phone clients expect it.
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _explain(exc: Exception) -> str:
    from acme import errors, messages

    if isinstance(exc, messages.Error):
        return exc.detail or exc.description or str(exc)
    if isinstance(exc, errors.ValidationError):
        problems = []
        for authzr in exc.failed_authzrs:
            for chall in authzr.body.challenges:
                if chall.error is not None:
                    problems.append(f"{authzr.body.identifier.value}: "
                                    f"{chall.error.detail or chall.error.typ}")
        return "the CA could not validate " + ("; ".join(problems) or "the challenge")
    if isinstance(exc, errors.TimeoutError):
        return "the CA did not answer in time (try again in a few minutes)"
    return str(exc) or type(exc).__name__


class _Session:
    """One account at one CA: the client, registered (or found again) on first use."""

    def __init__(self, tls_dir: Path, options: AcmeOptions) -> None:
        import josepy as jose
        from acme import client, errors, messages
        from cryptography.hazmat.primitives import serialization

        self.options = options
        path = _acme_dir(tls_dir) / "account.json"
        try:
            accounts: dict[str, Any] = json.loads(path.read_text())
        except (OSError, ValueError):
            accounts = {}
        saved = accounts.get(options.directory) or {}
        key_pem = saved.get("key", "").encode() or _new_key_pem()
        key = serialization.load_pem_private_key(key_pem, password=None)
        jwk = jose.JWKRSA(key=key)
        try:
            self.net = client.ClientNetwork(jwk, user_agent=USER_AGENT,
                                            verify_ssl=options.verify)  # type: ignore[arg-type]
            directory = client.ClientV2.get_directory(options.directory, self.net)
        except Exception as exc:  # requests' and acme's errors alike: say what failed
            raise AcmeError(f"cannot reach the ACME server {options.directory}: "
                            f"{_explain(exc)}") from exc
        self.acme = client.ClientV2(directory, self.net)
        contact = (f"mailto:{options.email}",) if options.email else ()
        uri = saved.get("uri")
        try:
            if uri:
                regr = messages.RegistrationResource(uri=uri, body=messages.Registration())
                self.acme.query_registration(regr)
            else:
                self.acme.new_account(messages.NewRegistration.from_data(
                    email=options.email or None, terms_of_service_agreed=True))
        except errors.ConflictError as exc:  # the key is known there already
            regr = messages.RegistrationResource(uri=exc.location, body=messages.Registration())
            self.acme.query_registration(regr)
        except Exception as exc:
            raise AcmeError(f"the ACME server refused the account: {_explain(exc)}") from exc
        account = self.net.account
        assert account is not None
        if contact and tuple(account.body.contact or ()) != contact:
            self.acme.update_registration(account, account.body.update(contact=contact))
        accounts[options.directory] = {"key": key_pem.decode(), "uri": account.uri}
        _write_json(path, accounts)

    def deadline(self) -> dt.datetime:
        return dt.datetime.now() + dt.timedelta(seconds=self.options.timeout)

    def order(self, names: list[str], key_pem: bytes) -> Any:
        from acme import crypto_util

        csr = crypto_util.make_csr(key_pem, names)
        try:
            return self.acme.new_order(csr)
        except Exception as exc:
            raise AcmeError(f"the CA refused the order for {', '.join(names)}: "
                            f"{_explain(exc)}") from exc

    def finalize(self, order: Any) -> bytes:
        try:
            done = self.acme.poll_and_finalize(order, self.deadline())
        except Exception as exc:
            raise AcmeError(_explain(exc)) from exc
        return str(done.fullchain_pem).encode()

    def renewal_time(self, cert_pem: bytes) -> dt.datetime | None:
        """The CA's suggested renewal time (ARI), or None when it offers none."""
        try:
            when, _ = self.acme.renewal_time(cert_pem)
        except Exception:  # ARI is advice: without it the 30-day rule applies
            return None
        if when is not None and when.tzinfo is None:
            when = when.astimezone(dt.UTC)
        return when


def _challenge(authzr: Any, kind: type) -> Any:
    for challb in authzr.body.challenges:
        if isinstance(challb.chall, kind):
            return challb
    raise AcmeError(f"the CA offers no {kind.typ} challenge for "
                    f"{authzr.body.identifier.value}")


def issue(tls_dir: Path, names: list[str], options: AcmeOptions,
          log: Callable[[str], None] = lambda _: None) -> Issued:
    """Order a certificate for ``names`` and prove them over HTTP-01; a fresh key each time."""
    from acme import challenges

    from appliance.acme.http01 import ChallengeServer

    session = _Session(tls_dir, options)
    key_pem = _new_key_pem()
    order = session.order(names, key_pem)
    responder = ChallengeServer(options.hosts, options.http_port)
    responder.start()
    try:
        for authzr in order.authorizations:
            if authzr.body.status.name == "valid":
                continue  # proved recently: the CA reuses it
            challb = _challenge(authzr, challenges.HTTP01)
            response, validation = challb.chall.response_and_validation(session.net.key)
            responder.responses[challb.chall.encode("token")] = validation
            log(f"acme: proving {authzr.body.identifier.value} over HTTP-01 "
                f"on port {options.http_port}")
            try:
                session.acme.answer_challenge(challb, response)
            except Exception as exc:
                raise AcmeError(_explain(exc)) from exc
        fullchain = session.finalize(order)
    finally:
        responder.close()
    return Issued(fullchain, key_pem, names)


def begin_dns(tls_dir: Path, names: list[str], options: AcmeOptions) -> list[dict[str, str]]:
    """DNS-01, step one: order, and return the TXT records to publish by hand."""
    from acme import challenges

    session = _Session(tls_dir, options)
    key_pem = _new_key_pem()
    order = session.order(names, key_pem)
    records = []
    for authzr in order.authorizations:
        if authzr.body.status.name == "valid":
            continue
        challb = _challenge(authzr, challenges.DNS01)
        name = authzr.body.identifier.value
        records.append({"name": challb.chall.validation_domain_name(name),
                        "type": "TXT", "value": challb.chall.validation(session.net.key)})
    _write_json(_acme_dir(tls_dir) / "pending.json", {
        "directory": options.directory, "names": names, "key": key_pem.decode(),
        "order": order.to_json(), "records": records, "created": time.time()})
    return records


def pending_dns(tls_dir: Path) -> dict[str, Any] | None:
    try:
        data: dict[str, Any] = json.loads((tls_dir / "acme" / "pending.json").read_text())
        return data
    except (OSError, ValueError):
        return None


def finish_dns(tls_dir: Path, options: AcmeOptions) -> Issued:
    """DNS-01, step two: the TXT records are published; let the CA check them, then issue."""
    from acme import challenges, messages

    pending = pending_dns(tls_dir)
    if pending is None:
        raise AcmeError("no DNS-01 order is waiting (start one with: "
                        "mailroom tls acme issue --dns)")
    if pending["directory"] != options.directory:
        raise AcmeError(f"the waiting order is at {pending['directory']}, not at "
                        f"{options.directory}")
    session = _Session(tls_dir, options)
    order = messages.OrderResource.from_json(pending["order"])
    for authzr in order.authorizations:
        if authzr.body.status.name == "valid":
            continue
        challb = _challenge(authzr, challenges.DNS01)
        response = challb.chall.response(session.net.key)
        try:
            session.acme.answer_challenge(challb, response)
        except Exception as exc:
            raise AcmeError(_explain(exc)) from exc
    fullchain = session.finalize(order)
    (tls_dir / "acme" / "pending.json").unlink(missing_ok=True)
    return Issued(fullchain, pending["key"].encode(), list(pending["names"]))


def renewal_window(tls_dir: Path, options: AcmeOptions, cert_pem: bytes) -> dt.datetime | None:
    """Ask the CA when to renew (ACME renewal information); None when it does not say."""
    try:
        return _Session(tls_dir, options).renewal_time(cert_pem)
    except AcmeError:
        return None
