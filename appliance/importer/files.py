"""Reading a sendmail setup from disk: the only I/O of the importer."""

from __future__ import annotations

from pathlib import Path

from appliance.importer.sendmail import SendmailFiles

__all__ = ["read_setup", "MAX_FILE"]

MAX_FILE = 4 * 1024 * 1024  # an aliases file of a small office is a few KiB
_KNOWN = {"access": "access", "local-host-names": "local_host_names", "aliases": "aliases",
          "virtusertable": "virtusertable"}
# Beside the maps, without a user to belong to: said, not guessed.
_LOOSE = {"forward": ".forward", ".forward": ".forward", "procmailrc": ".procmailrc",
          ".procmailrc": ".procmailrc"}
_SKIP_SUFFIXES = (".db", ".dir", ".pag", ".cf", ".mc", ".m4", ".md", ".pem", ".key", ".crt")


def _text(path: Path) -> str:
    if path.stat().st_size > MAX_FILE:
        raise OSError(f"larger than {MAX_FILE // 1024 // 1024} MiB")
    return path.read_text(encoding="utf-8", errors="replace")


def read_setup(directory: str | Path, home_root: str | Path | None = None) -> SendmailFiles:
    """The files of ``directory`` (like /etc/mail, with aliases beside it) and each
    ``home_root/USER/.forward`` and ``.procmailrc``."""
    root = Path(directory).expanduser()
    if not root.is_dir():
        raise OSError(f"{root} is not a folder")
    files = SendmailFiles(directory=str(root.resolve()))
    for path in sorted(root.iterdir()):
        if not path.is_file():
            continue
        name = path.name
        try:
            if name in _KNOWN:
                setattr(files, _KNOWN[name], _text(path))
            elif name in _LOOSE:
                files.unreadable[name] = (
                    f"a {_LOOSE[name]} without its user: put it at HOME_ROOT/USER/{_LOOSE[name]} "
                    "and give --home-root HOME_ROOT")
            elif not name.startswith(".") and not name.endswith(_SKIP_SUFFIXES):
                files.includes[name] = _text(path)  # an :include: list, perhaps
        except (OSError, UnicodeError) as exc:
            files.unreadable[name] = f"cannot read it: {exc}"
    if home_root is not None:
        homes = Path(home_root).expanduser()
        if not homes.is_dir():
            raise OSError(f"{homes} is not a folder")
        for home in sorted(homes.iterdir()):
            if not home.is_dir():
                continue
            for dotfile, into in ((".forward", files.forwards), (".procmailrc",
                                                                  files.procmailrcs)):
                path = home / dotfile
                if path.is_file():
                    try:
                        into[home.name] = _text(path)
                    except OSError as exc:
                        files.unreadable[f"{home.name}/{dotfile}"] = f"cannot read it: {exc}"
    return files
