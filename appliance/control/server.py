"""The control API server: JSON over HTTP on loopback, for the CLI and the GUI.

It listens on 127.0.0.1 on an ephemeral port written to ``run/control.json``
and accepts only requests carrying the secret from ``control.secret``, a
file only the administrator can read: the daemon's owner, and when it runs
as the system service the members of its group (``Home.control_group``):
the kernel checks the membership when they open the file.
``POST /api/<operation>`` runs one operation; ``GET /api/events`` streams
log lines and events as JSON lines.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import os
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import unquote

from appliance.control.httpd import HttpServer, Reply, Request, json_reply
from appliance.control.operations import Operations
from appliance.home import Home
from appliance.logs import get_logger
from appliance.state import StateError
from appliance.state.settings import mask, mask_values

__all__ = ["ControlServer", "EventHub"]

log = get_logger("control")


_CLOSED: dict[str, Any] = {"type": "closed"}


class EventHub:
    """Fans out events (log lines, service and queue changes) to API subscribers."""

    def __init__(self) -> None:
        self._queues: set[asyncio.Queue[dict[str, Any]]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def publish(self, kind: str, data: dict[str, Any]) -> None:
        """Thread-safe: may be called from delivery threads."""
        if self._loop is None or not self._queues:
            return
        event = {"type": kind, **data}
        self._loop.call_soon_threadsafe(self._fan_out, event)

    def _fan_out(self, event: dict[str, Any]) -> None:
        for queue in list(self._queues):
            if queue.qsize() < 10000:  # a stalled reader must not eat memory
                queue.put_nowait(event)

    def close(self) -> None:
        """Tell every subscriber that no more events will come."""
        for queue in list(self._queues):
            queue.put_nowait(_CLOSED)

    def subscribe(self) -> asyncio.Queue[dict[str, Any]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._queues.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[dict[str, Any]]) -> None:
        self._queues.discard(queue)


class ControlServer:
    def __init__(self, home: Home, operations: Operations, events: EventHub,
                 host: str = "127.0.0.1", port: int = 0) -> None:
        self.home = home
        self.operations = operations
        self.events = events
        self.host = host
        self.port = port
        self._secret = home.control_secret.read_text().strip().encode()
        self._http: HttpServer | None = None

    def _authorized(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        token = header.removeprefix("Bearer ").strip().encode()
        return hmac.compare_digest(token, self._secret)

    async def _route(self, request: Request) -> Reply:
        # The routes aiohttp had: POST /api/{name}, GET /api/events; 405 for another
        # method on an /api/ name, 404 for anything else.
        name = request.path.removeprefix("/api/")
        if not request.path.startswith("/api/") or not name or "/" in name:
            return Reply(404, b"404: Not Found", "text/plain; charset=utf-8")
        if request.method == "POST":
            return await self._call(unquote(name), request)
        if request.method == "GET" and name == "events":
            return self._events(request)
        return Reply(405, b"405: Method Not Allowed", "text/plain; charset=utf-8")

    async def _call(self, name: str, request: Request) -> Reply:
        if not self._authorized(request):
            return json_reply({"ok": False, "error": {"message": "unauthorized"}}, 401)
        try:
            args = json.loads(request.body.decode()) if request.body else {}
        except ValueError:
            return json_reply({"ok": False, "error": {"message": "bad JSON"}}, 400)
        if not isinstance(args, dict):
            return json_reply({"ok": False, "error": {"message": "bad JSON"}}, 400)
        try:
            result = await self.operations.call(name, args)
        except StateError as exc:
            return json_reply({"ok": False, "error": exc.to_dict()}, 400)
        except Exception as exc:
            log.exception("control operation %s failed", name)
            return json_reply({"ok": False, "error": {"message": f"internal error: {exc}"}}, 500)
        if not _read_only(name):
            log.info("admin: %s %s", name, _redact(args))
        return json_reply({"ok": True, "result": result})

    def _events(self, request: Request) -> Reply:
        if not self._authorized(request):
            return json_reply({"ok": False, "error": {"message": "unauthorized"}}, 401)
        return Reply(200, content_type="application/x-ndjson", stream=self._event_lines())

    async def _event_lines(self) -> AsyncIterator[bytes]:
        queue = self.events.subscribe()
        try:
            while True:
                try:
                    event = await asyncio.wait_for(queue.get(), timeout=15)
                except TimeoutError:
                    event = {"type": "keepalive"}
                if event is _CLOSED:
                    break  # the daemon is stopping: end the stream cleanly
                yield json.dumps(event).encode() + b"\n"
        finally:
            self.events.unsubscribe(queue)

    async def start(self) -> None:
        self._http = HttpServer(self._route, max_body=64 * 1024 * 1024)
        port = await self._http.start(self.host, self.port)
        info = self.home.run / "control.json"
        tmp = info.with_suffix(".tmp")
        tmp.write_text(json.dumps({"host": self.host, "port": port, "pid": os.getpid()}))
        gid = self.home.control_group()
        if gid is not None:
            self.home.share_control(gid, [tmp])
        os.replace(tmp, info)
        self.port = port

    async def stop(self) -> None:
        # Event streams never end by themselves; a stopping daemon ends them.
        self.events.close()
        await asyncio.sleep(0)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.home.run / "control.json")
        if self._http is not None:
            await self._http.stop(grace=3.0)


# Operations that only look: not admin actions, so not in the mail log (the console asks
# several of them every few seconds).
_LOOKS = ("status", "ping", "logs.", "queue.list", "queue.show", "setup.defaults", "setup.check",
          "settings.schema", "settings.check", "dns.records", "dns.status", "dns.check",
          "firewall.status", "firewall.plan", "filter.check", "filter.rules.preview",
          "import.sendmail.plan", "doctor.run", "virus.test", "backup.status", "backup.verify")


def _read_only(name: str) -> bool:
    return name.startswith(_LOOKS) or name.endswith((".list", ".show", ".get", ".status"))


def _redact(args: dict[str, Any]) -> str:
    shown = {k: ("***" if "password" in k or k.endswith("_pem") or k == "identity" else v)
             for k, v in args.items()
             if k not in ("text", "message")}  # *_pem, identity (age): private keys
    if "value" in shown and isinstance(args.get("key"), str):
        shown["value"] = mask(args["key"], shown["value"])
    if "values" in shown:  # settings.set_many: the wizard sends the smarthost password here
        shown["values"] = mask_values(shown["values"])
    return json.dumps(shown, ensure_ascii=False)
