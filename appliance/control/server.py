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
from typing import Any

from aiohttp import web

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
        self._runner: web.AppRunner | None = None

    def _authorized(self, request: web.Request) -> bool:
        header = request.headers.get("Authorization", "")
        token = header.removeprefix("Bearer ").strip().encode()
        return hmac.compare_digest(token, self._secret)

    async def _call(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return web.json_response({"ok": False, "error": {"message": "unauthorized"}},
                                     status=401)
        name = request.match_info["name"]
        try:
            args = await request.json() if request.can_read_body else {}
        except ValueError:
            return web.json_response({"ok": False, "error": {"message": "bad JSON"}}, status=400)
        if not isinstance(args, dict):
            return web.json_response({"ok": False, "error": {"message": "bad JSON"}}, status=400)
        try:
            result = await self.operations.call(name, args)
        except StateError as exc:
            return web.json_response({"ok": False, "error": exc.to_dict()}, status=400)
        except Exception as exc:
            log.exception("control operation %s failed", name)
            return web.json_response(
                {"ok": False, "error": {"message": f"internal error: {exc}"}}, status=500
            )
        if not _read_only(name):
            log.info("admin: %s %s", name, _redact(args))
        return web.json_response({"ok": True, "result": result})

    async def _events(self, request: web.Request) -> web.StreamResponse:
        if not self._authorized(request):
            return web.json_response({"ok": False, "error": {"message": "unauthorized"}},
                                     status=401)
        response = web.StreamResponse(headers={"Content-Type": "application/x-ndjson"})
        await response.prepare(request)
        queue = self.events.subscribe()
        try:
            while True:
                try:
                    event = await asyncio.wait_for(queue.get(), timeout=15)
                except TimeoutError:
                    event = {"type": "keepalive"}
                if event is _CLOSED:
                    break  # the daemon is stopping: end the stream cleanly
                await response.write(json.dumps(event).encode() + b"\n")
        except ConnectionResetError:
            pass
        finally:
            self.events.unsubscribe(queue)
        return response

    async def start(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/api/{name}", self._call)
        app.router.add_get("/api/events", self._events)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False,
                                     shutdown_timeout=3.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        server = site._server
        assert server is not None
        port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
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
        if self._runner is not None:
            await self._runner.cleanup()


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
