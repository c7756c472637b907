"""Atomic file writing: how robustgan writes every file that a crash must not leave half-written.

``atomic_open`` hands out a handle on a temporary file in the target's directory; when the
``with`` block ends without an error, the file is flushed, forced to disk (``os.fsync``) and
renamed over the target with ``os.replace`` (atomic on POSIX and Windows), so a reader sees the
old file or the new one, never a part of it. On an error, or a kill before the rename, the
target is untouched; on an error the temporary is removed. Result stores, GAN checkpoints and
the benchmarks' JSON files are all written through it.

The temporary is created by ``tempfile.mkstemp``, so the file, once renamed, is readable by its
owner only (mode 0600), as files written through ``tempfile`` always were here.
"""

import contextlib
import os
import tempfile

__all__ = ["atomic_open", "atomic_write_text"]


@contextlib.contextmanager
def atomic_open(path, mode="w", *, encoding=None, newline=None):
    """A handle whose content replaces ``path`` atomically when the ``with`` block succeeds.

    Parameters
    ----------
    path : str or os.PathLike
        The target; its directory must exist.
    mode : {"w", "wb"}, default="w"
    encoding, newline : str or None
        As for ``open`` (text mode only).

    Yields
    ------
    file object
        Open on a temporary file ``.<name>.<random>.tmp`` beside ``path``.

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "a.txt")
    >>> with atomic_open(path, encoding="utf-8") as handle:
    ...     _ = handle.write("done")
    >>> open(path, encoding="utf-8").read()
    'done'
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"mode must be 'w' or 'wb', got {mode!r}")
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    fd, temporary = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp",
                                     dir=directory)
    try:
        with os.fdopen(fd, mode, encoding=encoding, newline=newline) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(temporary)
        raise


def atomic_write_text(path, text, encoding="utf-8"):
    """Write ``text`` to ``path`` atomically (``atomic_open``), newlines as written.

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "a.json")
    >>> atomic_write_text(path, '{"a": 1}')
    >>> open(path, encoding="utf-8").read()
    '{"a": 1}'
    """
    with atomic_open(path, "w", encoding=encoding, newline="") as handle:
        handle.write(text)
