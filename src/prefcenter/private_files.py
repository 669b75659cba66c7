"""Files the service writes are readable by its own user only: 0600 files in 0700 directories.

What prefcenter writes holds personal data or secrets (the SQLite database and its WAL/SHM files,
development mail, import reject reports, ``prefcenter check`` output, demo credentials, keys), so it is
created owner-only whatever the umask. Directories are made 0700 when prefcenter creates them; a
directory that already exists (``/srv``, a mounted volume) is left as its owner set it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO, Any

PRIVATE_FILE_MODE = 0o600
PRIVATE_DIRECTORY_MODE = 0o700


def make_private_directory(path: Path) -> None:
    """``mkdir -p path``; each directory it creates is 0700 (exactly: the umask only narrows ``mkdir``)."""
    missing: list[Path] = []
    current = path
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for directory in reversed(missing):
        try:
            directory.mkdir(mode=PRIVATE_DIRECTORY_MODE)
        except FileExistsError:  # made meanwhile by another process: its mode is not ours to change
            continue
        os.chmod(directory, PRIVATE_DIRECTORY_MODE)


def open_private(path: Path, mode: str = "w", *, exclusive: bool = False, **kwargs: Any) -> IO[Any]:
    """Open ``path`` for writing (truncated; with ``exclusive``, only if it does not exist yet) as a 0600
    file, its missing parent directories 0700. A file that existed with a wider mode is narrowed."""
    if mode not in ("w", "wb"):
        raise ValueError(f"open_private writes new content (mode 'w' or 'wb'), not {mode!r}")
    make_private_directory(path.parent)
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else os.O_TRUNC)
    fd = os.open(path, flags, PRIVATE_FILE_MODE)
    try:
        os.fchmod(fd, PRIVATE_FILE_MODE)  # O_CREAT's mode applies to new files only, less the umask
        return os.fdopen(fd, mode, **kwargs)
    except BaseException:
        os.close(fd)
        raise


def keep_private(path: Path) -> None:
    """Create ``path`` empty as a 0600 file if it is missing, or narrow an existing one to 0600.

    An existing file is changed by name, never opened: closing a descriptor on a SQLite database drops
    every lock this process holds on it."""
    make_private_directory(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    except FileExistsError:
        if path.stat().st_mode & 0o777 != PRIVATE_FILE_MODE:
            os.chmod(path, PRIVATE_FILE_MODE)
        return
    try:
        os.fchmod(fd, PRIVATE_FILE_MODE)
    finally:
        os.close(fd)
