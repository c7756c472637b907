"""Atomic file writing: how robustgan writes every file that a crash must not leave half-written.

``atomic_open`` hands out a handle on a temporary file in the target's directory; when the
``with`` block ends without an error, the file is flushed, forced to disk (``os.fsync``) and
renamed over the target with ``os.replace`` (atomic on POSIX and Windows), so a reader sees the
old file or the new one, never a part of it. On an error, or a kill before the rename, the
target is untouched; on an error the temporary is removed. Result stores, GAN checkpoints and
the benchmarks' JSON files are all written through it.

By default the temporary is created by ``tempfile.mkstemp``, so the file, once renamed, is
readable by its owner only (mode 0600), as files written through ``tempfile`` always were here.
``private=False`` gives it the permissions a plain ``open(path, "w")`` would: those of the file
it replaces, else 0666 less the umask. The command line's outputs, files a user asked for by
name, take these.
"""

import contextlib
import os
import secrets
import tempfile

__all__ = ["atomic_open", "atomic_write_text"]


@contextlib.contextmanager
def atomic_open(path, mode="w", *, encoding=None, newline=None, private=True):
    """A handle whose content replaces ``path`` atomically when the ``with`` block succeeds.

    Parameters
    ----------
    path : str or os.PathLike
        The target; its directory must exist.
    mode : {"w", "wb"}, default="w"
    encoding, newline : str or None
        As for ``open`` (text mode only).
    private : bool, default=True
        Whether the file is readable by its owner only (mode 0600). False gives it the
        permissions ``open(path, "w")`` would: those of the file it replaces, else 0666 less
        the umask.

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
    prefix = f".{os.path.basename(path)}."
    if private:
        fd, temporary = tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=directory)
    else:
        fd, temporary = _create_as_open_would(path, directory, prefix)
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


def _create_as_open_would(path, directory, prefix):
    """(descriptor, name) of a new temporary in ``directory`` with the mode ``open(path, "w")``
    would leave ``path`` with.

    Created with mode 0666, so that the kernel takes the umask off: reading the umask means
    setting it, for every thread of the process at once.
    """
    # mkstemp's flags: no symbolic link followed, no text-mode translation on Windows.
    flags = (os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
             | getattr(os, "O_BINARY", 0))
    for _ in range(tempfile.TMP_MAX):
        temporary = os.path.join(directory, f"{prefix}{secrets.token_hex(4)}.tmp")
        try:
            fd = os.open(temporary, flags, 0o666)
        except FileExistsError:
            continue
        break
    else:
        raise FileExistsError(f"no unused temporary name for {path!r} in {directory!r}")
    try:
        # open() truncates a file in place, keeping its mode; the rename would not. Its
        # permission bits only: a setuid or setgid bit is no data file's to hand on.
        kept = os.stat(path).st_mode & 0o777
    except FileNotFoundError:
        return fd, temporary
    try:
        os.chmod(temporary, kept)
    except BaseException:
        os.close(fd)
        os.remove(temporary)
        raise
    return fd, temporary


def atomic_write_text(path, text, encoding="utf-8", *, private=True):
    """Write ``text`` to ``path`` atomically (``atomic_open``), newlines as written.

    Parameters
    ----------
    path : str or os.PathLike
    text : str
    encoding : str, default="utf-8"
    private : bool, default=True
        Mode 0600, or (False) the permissions ``open(path, "w")`` would give; see
        ``atomic_open``.

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "a.json")
    >>> atomic_write_text(path, '{"a": 1}')
    >>> open(path, encoding="utf-8").read()
    '{"a": 1}'
    """
    with atomic_open(path, "w", encoding=encoding, newline="", private=private) as handle:
        handle.write(text)
