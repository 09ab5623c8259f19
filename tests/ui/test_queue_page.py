"""The Queue page against a real queue: search, sort, multi-select actions, log lines."""

from __future__ import annotations

import base64

from PySide6.QtCore import Qt

from tests.ui.conftest import Gui, wait
from ui.pages.queue import QueuePage


def test_search_sort_multiselect_and_log_lines(gui: Gui) -> None:
    c = gui.client

    def submit(sender: str, rcpt: str, body: str = "x" * 10) -> str:
        msg = f"Subject: s\r\nFrom: {sender}\r\n\r\n{body}\r\n".encode()
        return str(c.call("message.submit", sender=sender, recipients=[rcpt],
                          message=base64.b64encode(msg).decode()))

    small = submit("alice@example.test", "ann@far-away.test")
    big = submit("bob@example.test", "ben@far-away.test", "y" * 5000)
    third = submit("alice@example.test", "cy@far-away.test")
    ids = {small, big, third}
    assert gui.window.show_page("queue")
    page: QueuePage = gui.window.page("queue")  # type: ignore[assignment]
    wait(lambda: ids <= set(page.model.ids()), 15)

    # Search by sender, recipient and queue ID.
    page.search.setText("bob@")
    assert [page.view.row(i)["id"] for i in range(page.view.rowCount())] == [big]
    page.search.setText("CY@FAR")
    assert [page.view.row(i)["id"] for i in range(page.view.rowCount())] == [third]
    page.search.setText(small.lower())
    assert [page.view.row(i)["id"] for i in range(page.view.rowCount())] == [small]
    assert "shown of" in page.summary.text()
    page.search.clear()

    # Sort by size, as a number: the 5 KB message last ascending, first descending.
    page.table.sortByColumn(4, Qt.SortOrder.AscendingOrder)
    assert page.view.row(page.view.rowCount() - 1)["id"] == big
    page.table.sortByColumn(4, Qt.SortOrder.DescendingOrder)
    assert page.view.row(0)["id"] == big

    # Two selected, held together, released together (once the first attempt is over:
    # a message being tried goes back to deferred when the attempt ends).
    def queue_of(qid: str) -> str:
        return next(e["queue"] for e in c.call("queue.list") if e["id"] == qid)

    def entry(qid: str) -> dict:  # type: ignore[type-arg]
        return next(e for e in c.call("queue.list") if e["id"] == qid)

    wait(lambda: all(entry(q)["attempts"] >= 1 and entry(q)["queue"] == "deferred"
                     for q in ids), 30)
    wait(lambda: page.idle)

    assert page.select(small, third)
    assert set(page.selected_ids()) == {small, third}
    page.buttons["hold"].click()
    wait(lambda: queue_of(small) == queue_of(third) == "hold", 30)
    assert queue_of(big) != "hold"
    wait(lambda: page.idle and page.select(small, third) and page.buttons["release"].isEnabled())
    page.buttons["release"].click()
    wait(lambda: queue_of(small) == queue_of(third) == "deferred", 30)

    # The selected message's own log lines, beside it.
    wait(lambda: page.idle and page.select(big))
    wait(lambda: big in page.log.toPlainText()
         and all(big in line for line in page.log.toPlainText().splitlines()))

    # Delete two at once (confirmed: the fixture answers yes).
    wait(lambda: page.idle and page.select(small, big))
    page.buttons["delete"].click()
    wait(lambda: {e["id"] for e in c.call("queue.list")} & ids == {third})
    wait(lambda: set(page.model.ids()) & ids == {third})
    assert "2 messages deleted." in page.banner.text()
