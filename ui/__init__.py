"""The Mailroom desktop program (PySide6): talks to the daemon through the control API."""
