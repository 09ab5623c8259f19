"""Row selection for the pages that edit one address at a time (Accounts, Aliases).

The selected row is the one in the editor: moving to another row while the
editor holds unsaved edits keeps the edited row selected and asks
Save / Discard / Cancel first (``Page.leave``).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QItemSelectionModel

_FLAG = QItemSelectionModel.SelectionFlag
_SELECT_ROW = _FLAG.ClearAndSelect | _FLAG.Rows


class AddressRows:
    """Mixed into a Page with ``table``, ``model`` (rows of dicts with an
    ``address``), ``current`` (the row in the editor) and ``_edit(row)``."""

    table: Any
    model: Any
    current: dict[str, Any] | None
    _filling: bool = False

    def _edit(self, row: dict[str, Any] | None) -> None:
        raise NotImplementedError

    def _set_current_row(self, row: int | None) -> None:
        # Programmatic selection must not come back through _select as a user's click.
        self._filling = True
        try:
            if row is None:
                self.table.clearSelection()
                self.table.selectionModel().clearCurrentIndex()
            else:
                self.table.selectionModel().setCurrentIndex(self.model.index(row, 0), _SELECT_ROW)
        finally:
            self._filling = False

    def select_row(self, row: int) -> None:
        self._set_current_row(row)
        self._edit(self.model.row(row))

    def select_address(self, address: str) -> bool:
        for i, r in enumerate(self.model.rows):
            if r["address"] == address:
                self.select_row(i)
                return True
        return False

    def _select(self, current: Any, _previous: Any) -> None:
        if not current.isValid() or self._filling:
            return
        row = self.model.row(current.row())
        if self.current is not None and row["address"] == self.current.get("address"):
            return
        if self.is_dirty():  # type: ignore[attr-defined]
            # Keep the edited row selected until the edits are saved or thrown away.
            self._show_selected()
            self.leave(lambda: self.select_address(row["address"]), reload=False)  # type: ignore[attr-defined]
            return
        self._edit(row)

    def _show_selected(self) -> None:
        address = (self.current or {}).get("address")
        self._set_current_row(next(
            (i for i, r in enumerate(self.model.rows) if r["address"] == address), None))
