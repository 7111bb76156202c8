"""Files written whole or not at all: through a temporary file beside the target, then one ``os.replace``.

The temporary file has a name no other writer uses (two commands writing the same sheet never share one) and is
removed on any way out but success, an interruption included (Ctrl-C, the command line's deadline); only a
process killed outright can leave one behind, hidden (``.<name>.<random>.partial``), never the target half-written.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from ..errors import SymbackError


def write_atomically(path: Path, content: str | bytes) -> None:
    """Write ``content`` (text as UTF-8, or bytes) to ``path`` so that a reader sees the old file or the new one,
    never part of it.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as name:
    ...     target = Path(name) / "sheet.md"
    ...     write_atomically(target, "# Sheet\\n")
    ...     target.read_text(encoding="utf-8"), sorted(p.name for p in Path(name).iterdir())
    ('# Sheet\\n', ['sheet.md'])
    """
    path = Path(path)
    data = content.encode("utf-8") if isinstance(content, str) else content
    partial = None
    try:
        partial, handle = _create_beside(path)
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(partial, path)
    except BaseException as error:  # an interruption too: the partial file goes, the exception goes on
        if partial is not None:
            try:
                os.unlink(partial)
            except OSError:
                pass
        if isinstance(error, OSError):
            raise SymbackError(f"{path}: cannot write the file: {error.strerror or error}") from None
        raise


def _create_beside(path: Path) -> tuple[Path, int]:
    """A new file in ``path``'s folder under a name of its own, opened for writing (mode 0o666 less the umask,
    as for any file the command writes)."""
    while True:
        partial = path.with_name(f".{path.name}.{secrets.token_hex(4)}.partial")
        try:
            return partial, os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
        except FileExistsError:
            continue  # another writer's name: draw again
