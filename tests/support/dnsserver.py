"""A small, real, authoritative DNS server for tests, serving a dict zone.

It speaks the DNS wire protocol over UDP and TCP on loopback so the code
under test uses its ordinary resolver, pointed at ``127.0.0.1:PORT``.

Zone format (names without trailing dot, case-insensitive)::

    {
        "far.test": {"MX": [(10, "mx1.far.test"), (20, "mx2.far.test")]},
        "mx1.far.test": {"A": ["127.0.0.3"]},
        "mx2.far.test": {"A": ["127.0.0.4"], "AAAA": ["::1"]},
        "null.test": {"MX": [(0, ".")]},
        "alias.test": {"CNAME": "mx1.far.test"},
    }

Unknown names get NXDOMAIN, known names without the asked type an empty
NOERROR answer. Names in ``servfail`` get SERVFAIL; queries for names in
``drop`` get no answer at all (to exercise client timeouts).

Three ways to run it::

    async with DnsServer(zone) as srv: ...          # in the test's event loop
    srv = DnsServer(zone).start_thread(); srv.stop()  # for synchronous tests
    with serving(zone) as srv: ...                   # the same, as a fixture's body
    python -m tests.support.dnsserver --port 5353 --zone zone.json
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import struct
import sys
import threading
from collections.abc import Iterable, Iterator, Mapping
from types import TracebackType
from typing import Any, cast

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset

Zone = Mapping[str, Mapping[str, Any] | None]

# Without EDNS a UDP answer must fit the classic limit; beyond it the client
# must retry over TCP, which the server also serves.
_CLASSIC_UDP_LIMIT = 512


def _norm(name: str) -> str:
    return name.strip().rstrip(".").lower()


def _rdata_texts(rdtype: str, value: Any) -> list[str]:
    """Turn the friendly zone values into presentation-format rdata."""
    items = value if isinstance(value, list | tuple) and not _is_mx_pair(rdtype, value) else [value]
    texts: list[str] = []
    for item in items:
        if rdtype == "MX" and isinstance(item, list | tuple):
            preference, exchange = item
            texts.append(f"{int(preference)} {_norm(exchange)}.")
        elif rdtype in ("CNAME", "NS", "PTR"):
            texts.append(f"{_norm(item)}.")
        elif rdtype == "TXT" and not str(item).startswith('"'):
            texts.append('"' + str(item).replace("\\", "\\\\").replace('"', '\\"') + '"')
        else:
            texts.append(str(item))
    return texts


def _is_mx_pair(rdtype: str, value: Any) -> bool:
    # A bare (10, "mx.test") is one record, not a list of two.
    return (
        rdtype == "MX"
        and isinstance(value, list | tuple)
        and len(value) == 2
        and (isinstance(value[0], int))
    )


class DnsServer:
    def __init__(
        self,
        zone: Zone,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        servfail: Iterable[str] = (),
        drop: Iterable[str] = (),
        ttl: int = 300,
    ) -> None:
        self.zone: dict[str, dict[str, Any]] = {}
        self.set_zone(zone)
        self.host = host
        self.port = port
        self.servfail: set[str] = {_norm(n) for n in servfail}
        self.drop: set[str] = {_norm(n) for n in drop}
        self.ttl = ttl
        self.queries: list[tuple[str, str]] = []  # (name, type), lets tests see what was asked
        self._udp: asyncio.DatagramTransport | None = None
        self._tcp: asyncio.Server | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def set_zone(self, zone: Zone) -> None:
        # Like any working DNS, the root zone exists; a zone mapping "." to
        # None plays a broken resolver that denies everything.
        self.zone = {"": {"NS": ["a.root-servers.test"]}}
        for name, types in zone.items():
            if types is None:
                self.zone.pop(_norm(name), None)
            else:
                self.zone[_norm(name)] = {rtype.upper(): value for rtype, value in types.items()}

    # ---- the protocol logic, independent of sockets ----

    def respond(self, wire: bytes) -> dns.message.Message | None:
        """Return the response to a query in wire format, or None to stay silent."""
        try:
            query = dns.message.from_wire(wire)
        except dns.exception.DNSException:
            return None  # garbage: a real server would FORMERR, silence is simpler
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        if not query.question:
            response.set_rcode(dns.rcode.FORMERR)
            return response
        question = query.question[0]
        qname = _norm(question.name.to_text())
        qtype = dns.rdatatype.to_text(question.rdtype)
        self.queries.append((qname, qtype))
        if qname in self.drop:
            return None
        if qname in self.servfail:
            response.flags &= ~dns.flags.AA
            response.set_rcode(dns.rcode.SERVFAIL)
            return response
        self._answer(response, qname, qtype, depth=0)
        return response

    def _answer(self, response: dns.message.Message, qname: str, qtype: str, depth: int) -> None:
        node = self.zone.get(qname)
        if node is None:
            if depth == 0:
                response.set_rcode(dns.rcode.NXDOMAIN)
            return
        if "CNAME" in node and qtype != "CNAME" and depth < 8:
            self._add(response, qname, "CNAME", node["CNAME"])
            target = _rdata_texts("CNAME", node["CNAME"])[0].rstrip(".")
            self._answer(response, target, qtype, depth + 1)
            return
        if qtype in node:
            self._add(response, qname, qtype, node[qtype])

    def _add(self, response: dns.message.Message, name: str, rdtype: str, value: Any) -> None:
        rdatas = [
            dns.rdata.from_text(
                dns.rdataclass.IN, rdtype, text, origin=dns.name.root, relativize=False
            )
            for text in _rdata_texts(rdtype, value)
        ]
        response.answer.append(dns.rrset.from_rdata_list(name + ".", self.ttl, rdatas))

    def _wire(self, response: dns.message.Message, limit: int) -> bytes:
        try:
            return response.to_wire(max_size=limit)
        except dns.exception.TooBig:
            response.answer = []
            response.flags |= dns.flags.TC
            return response.to_wire()

    # ---- asyncio transports ----

    async def astart(self) -> DnsServer:
        loop = asyncio.get_running_loop()
        # UDP and TCP must share one port number; with port 0 pick one by
        # binding UDP first and retry if TCP happens to be taken there.
        for _ in range(50):
            udp, _proto = await loop.create_datagram_endpoint(
                lambda: _UdpProtocol(self), local_addr=(self.host, self.port)
            )
            port = udp.get_extra_info("sockname")[1]
            try:
                tcp = await asyncio.start_server(
                    self._serve_tcp, self.host, port, reuse_address=True
                )
            except OSError:
                udp.close()
                if self.port:
                    raise
                continue
            self._udp, self._tcp, self.port = udp, tcp, port
            return self
        raise OSError("could not find a port free for both UDP and TCP")

    async def aclose(self) -> None:
        if self._udp is not None:
            self._udp.close()
            self._udp = None
        if self._tcp is not None:
            self._tcp.close()
            await self._tcp.wait_closed()
            self._tcp = None

    async def __aenter__(self) -> DnsServer:
        return await self.astart()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def _serve_tcp(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                header = await reader.readexactly(2)
                (length,) = struct.unpack("!H", header)
                wire = await reader.readexactly(length)
                response = self.respond(wire)
                if response is None:
                    continue
                out = self._wire(response, 65535)
                writer.write(struct.pack("!H", len(out)) + out)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    # ---- thread mode, for synchronous tests ----

    def start_thread(self) -> DnsServer:
        ready = threading.Event()
        failure: list[BaseException] = []
        loop = asyncio.new_event_loop()
        self._loop = loop

        def run() -> None:
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self.astart())
            except BaseException as exc:  # hand any bind error to the caller
                failure.append(exc)
                ready.set()
                loop.close()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self.aclose())
            loop.close()

        self._thread = threading.Thread(target=run, name="dns-test-server", daemon=True)
        self._thread.start()
        ready.wait()
        if failure:
            self._thread.join()
            self._thread = None
            raise failure[0]
        return self

    def stop(self) -> None:
        if self._thread is None or self._loop is None:
            return
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._thread = None
        self._loop = None

    def __enter__(self) -> DnsServer:
        return self.start_thread()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def nameserver(self) -> str:
        """The "IP:PORT" string to hand to the resolver under test."""
        return f"{self.host}:{self.port}"


class _UdpProtocol(asyncio.DatagramProtocol):
    def __init__(self, server: DnsServer) -> None:
        self.server = server
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        response = self.server.respond(data)
        if response is None or self.transport is None:
            return
        limit = (
            max(response.payload, _CLASSIC_UDP_LIMIT)
            if response.edns >= 0
            else (_CLASSIC_UDP_LIMIT)
        )
        self.transport.sendto(self.server._wire(response, limit), addr)


@contextlib.contextmanager
def serving(zone: Zone, **options: Any) -> Iterator[DnsServer]:
    """A DnsServer on its own thread for the length of the block."""
    server = DnsServer(zone, **options).start_thread()
    try:
        yield server
    finally:
        server.stop()


def zone_of(records: list[dict[str, Any]]) -> dict[str, dict[str, list[Any]]]:
    """The records ``dns records --json`` prints (or the dns.records operation returns),
    as a zone for this server: what the box asks its admin to publish, published."""
    zone: dict[str, dict[str, list[Any]]] = {}
    for r in records:
        if r["optional"] or not r["known"]:
            continue
        value: Any = r["value"]
        if r["type"] == "MX":
            pref, host = value.split()
            value = (int(pref), host)
        zone.setdefault(r["name"].rstrip("."), {}).setdefault(r["type"], []).append(value)
    return zone


def load_zone(path: str) -> dict[str, dict[str, Any]]:
    with open(path, encoding="utf-8") as fh:
        zone = json.load(fh)
    if not isinstance(zone, dict):
        raise ValueError(f"{path}: zone must be a JSON object of name -> {{type: records}}")
    return zone


async def _main(args: argparse.Namespace) -> None:
    zone = load_zone(args.zone) if args.zone else {}
    server = DnsServer(zone, host=args.host, port=args.port, servfail=args.servfail, drop=args.drop)
    await server.astart()
    print(f"dns test server listening on {server.host}:{server.port} (udp+tcp)", flush=True)
    stopped = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stopped.set)
    try:
        await stopped.wait()
    finally:
        await server.aclose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.support.dnsserver",
        description="Serve a JSON zone over DNS on loopback (tests only).",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5353)
    parser.add_argument("--zone", help="JSON file: {name: {type: [records]}}")
    parser.add_argument("--servfail", action="append", default=[], metavar="NAME")
    parser.add_argument("--drop", action="append", default=[], metavar="NAME")
    args = parser.parse_args(argv)
    try:
        asyncio.run(_main(args))
    except OSError as exc:
        print(f"dnsserver: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
