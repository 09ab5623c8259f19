"""The console's big pages: the Logs page with 100,000 lines, the Queue page with 10,000 messages.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/console.py [--lines N] [--messages N]

Each case runs in a process of its own (clean memory figures) and prints,
side by side with the peer Qt offers for the same job (QListWidget /
QTableWidget: one item object per line or cell), the time to fill the page
until it is painted, the memory it added (RSS), the time per scroll step
(a page down, repainted) across the whole list, and for Mailroom's pages
a filter (Logs) or a search and a sort (Queue).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CASES = ("logs-mailroom", "logs-qlistwidget", "queue-mailroom", "queue-qtablewidget")


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def log_lines(n: int) -> list[str]:
    rnd = random.Random(1)
    services = ("smtpd", "smtp", "qmgr", "local", "imapd", "pop3d", "control")
    out = []
    for i in range(n):
        qid = f"RT{i:010X}"[:12]
        svc = services[i % len(services)]
        tail = rnd.choice([
            f"{qid}: from=<user{i % 97}@example.test>, size={rnd.randint(300, 90000)}, nrcpt=1",
            f"{qid}: to=<x{i % 13}@far.test>, relay=none, delay=3, dsn=4.4.1, "
            "status=deferred (connect to mx.far.test[192.0.2.1]:25: Connection refused)",
            f"{qid}: to=<bob@example.test>, relay=local, status=sent (250 2.0.0 delivered)",
            "warning: hostname 203.0.113.9 does not resolve to address 203.0.113.9",
            'admin: settings.set {"key": "smarthost.host", "value": "smtp.isp.test"}'])
        out.append(f"Nov 29 22:{i // 3600 % 60:02d}:{i // 60 % 60:02d} mail mailroom/{svc}[42]: "
                   + tail)
    return out


def queue_rows(n: int) -> list[dict[str, Any]]:
    rnd = random.Random(2)
    now = time.time()
    rows = []
    for i in range(n):
        rows.append({
            "id": f"RQ{i:010X}"[:12], "queue": "hold" if i % 50 == 0 else "deferred",
            "size": rnd.randint(300, 5_000_000), "arrival": now - rnd.randint(0, 400_000),
            "sender": f"user{i % 300}@example.test",
            "recipients": [{"address": f"r{i}@dest{i % 40}.test", "state": "deferred",
                            "reply": "connect to mx.dest.test[192.0.2.7]:25: Connection refused"}],
            "attempts": rnd.randint(1, 30), "next_try": now + rnd.randint(60, 7200),
        })
    return rows


def settle(app: Any) -> None:
    for _ in range(3):
        app.processEvents()


def scroll_through(view: Any, app: Any, steps: int = 200) -> float:
    """Seconds per page-down step, repainted, spread over the whole list."""
    bar = view.verticalScrollBar()
    started = time.perf_counter()
    for k in range(steps):
        bar.setValue(bar.maximum() * k // max(1, steps - 1))
        view.viewport().repaint()
        app.processEvents()
    return (time.perf_counter() - started) / steps


def run_case(case: str, n_lines: int, n_messages: int) -> dict[str, Any]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication, QListWidget, QTableWidget, QTableWidgetItem

    app = QApplication.instance() or QApplication(["bench"])
    from appliance.home import Home
    from ui.context import AppContext
    from ui.secrets import SecretStore

    tmp = Path(tempfile.mkdtemp(prefix="mailroom-bench-"))
    ctx = AppContext(Home(tmp / "home"), secrets=SecretStore(tmp / "s.json", use_keyring=False))
    result: dict[str, Any] = {"case": case}
    if case.startswith("logs"):
        lines = log_lines(n_lines)
        result["items"] = n_lines
    else:
        rows = queue_rows(n_messages)
        result["items"] = n_messages
    gc.collect()
    base = rss_mb()
    started = time.perf_counter()
    if case == "logs-mailroom":
        from ui.pages.logs import LogsPage

        page = LogsPage(ctx)
        page.resize(1200, 760)
        page.show()
        ctx.logs.extend(lines)
        ctx.logs.flush()
        page.load()
        settle(app)
        result["fill_s"] = time.perf_counter() - started
        result["rss_mb"] = rss_mb() - base
        result["scroll_ms"] = scroll_through(page.view, app) * 1000
        t = time.perf_counter()
        page.text.setText("status=deferred")
        page.apply_filter()
        settle(app)
        result["filter_s"] = time.perf_counter() - t
        result["shown_after_filter"] = ctx.logs.rowCount()
    elif case == "logs-qlistwidget":
        view = QListWidget()
        view.setUniformItemSizes(True)
        view.resize(1200, 760)
        view.show()
        view.addItems(lines)
        view.scrollToBottom()
        settle(app)
        result["fill_s"] = time.perf_counter() - started
        result["rss_mb"] = rss_mb() - base
        result["scroll_ms"] = scroll_through(view, app) * 1000
    elif case == "queue-mailroom":
        from PySide6.QtCore import Qt

        from ui.pages.queue import QueuePage

        page = QueuePage(ctx)
        page.timer.stop()
        page.resize(1200, 760)
        page.show()
        page._fill(rows)
        settle(app)
        result["fill_s"] = time.perf_counter() - started
        result["rss_mb"] = rss_mb() - base
        result["scroll_ms"] = scroll_through(page.table, app) * 1000
        t = time.perf_counter()
        page.search.setText("dest7.test")
        settle(app)
        result["search_s"] = time.perf_counter() - t
        result["shown_after_search"] = page.view.rowCount()
        page.search.clear()
        t = time.perf_counter()
        page.table.sortByColumn(4, Qt.SortOrder.DescendingOrder)
        settle(app)
        result["sort_s"] = time.perf_counter() - t
    elif case == "queue-qtablewidget":
        table = QTableWidget(len(rows), 8)
        table.resize(1200, 760)
        table.show()
        table.setSortingEnabled(False)
        for r, row in enumerate(rows):
            cells = (row["id"], time.strftime("%Y-%m-%d %H:%M", time.localtime(row["arrival"])),
                     row["sender"], row["recipients"][0]["address"], str(row["size"]),
                     str(row["attempts"]), str(row["next_try"]), row["recipients"][0]["reply"])
            for c, text in enumerate(cells):
                table.setItem(r, c, QTableWidgetItem(text))
        table.resizeColumnsToContents()
        settle(app)
        result["fill_s"] = time.perf_counter() - started
        result["rss_mb"] = rss_mb() - base
        result["scroll_ms"] = scroll_through(table, app) * 1000
    ctx.shutdown()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--case", choices=CASES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        print(json.dumps(run_case(args.case, args.lines, args.messages)))
        return 0
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    results = []
    for case in CASES:
        done = subprocess.run([sys.executable, __file__, "--case", case, "--lines",
                               str(args.lines), "--messages", str(args.messages)],
                              capture_output=True, text=True, env=env, check=True)
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    print(f"{'case':<22}{'items':>8}{'fill s':>9}{'RSS MB':>9}{'scroll ms':>11}  other")
    for r in results:
        other = ", ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}"
                          for k, v in r.items()
                          if k not in ("case", "items", "fill_s", "rss_mb", "scroll_ms"))
        print(f"{r['case']:<22}{r['items']:>8}{r['fill_s']:>9.2f}{r['rss_mb']:>9.1f}"
              f"{r['scroll_ms']:>11.2f}  {other}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
