"""Which paths under the landing folder are landing files, and what was skipped and why.

Nothing under ``landing/`` is skipped without a trace. A path that is not read is
either not data by convention (hidden names, ``_truth``) or listed in
``Discovery.ignored`` with its reason; a folder that cannot be listed becomes a
``LandingFile`` of format ``directory`` carrying the error, which staging turns into
one quarantined ``unreadable directory`` record, so it shows in
``quarantined_records``, ``landing_files`` and the day's reconciliation.

Symbolic links are a way to read files the operator never put in the landing
folder (``landing/secret.jsonl -> /etc/...``): a link whose target leaves the
landing tree is skipped unless ``ingest.follow_symlinks_outside_landing`` is on.
A link to a file inside the tree is read (under the link's name), a link to a
folder inside it is not descended (the folder is read at its real path, and a
cycle is impossible). FIFOs, sockets and devices are never opened: opening a FIFO
blocks forever.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

FORMATS = {".jsonl": "jsonl", ".jsonl.gz": "jsonl.gz", ".csv": "csv", ".parquet": "parquet"}
DIRECTORY = "directory"
"""Format of the pseudo landing file that stands for a folder that could not be listed."""
IGNORED_DIRS = frozenset({"_truth"})
"""``_truth`` holds the simulator's ground truth, which the pipeline must never read."""

# Why a path was not read (the values of ``Discovery.ignored``).
UNKNOWN_FORMAT = "unknown format"
OUTSIDE_LANDING = (
    "symlink to a path outside the landing folder (ingest.follow_symlinks_outside_landing is off)"
)
BROKEN_LINK = "broken symlink"
NOT_DATA_TARGET = "symlink to a hidden or _truth path"
LINKED_FOLDER = "symlink to a folder inside the landing folder (read at its real path)"
NOT_REGULAR = "not a regular file (FIFO, socket or device)"
UNREADABLE_STAT = "cannot stat"

Scandir = Callable[[str], Iterable[os.DirEntry[str]]]


@dataclass(frozen=True)
class LandingFile:
    """One file under the landing folder, identified by its relative path.

    ``path`` is what is opened: for a followed symlink, its resolved target, so the
    file read is the one that was checked. ``inode`` and ``ctime_ns`` complete the
    identity used to tell whether the file changed while it was read (a write always
    moves ``ctime``, even when ``mtime`` is set back).
    """

    path: Path
    rel: str
    fmt: str
    size: int
    mtime_ns: int
    inode: int = 0
    ctime_ns: int = 0
    error: str | None = None
    """Set for a ``directory`` pseudo file: why the folder could not be listed."""

    @property
    def order_key(self) -> tuple[int, str]:
        """Last-write-wins order between files: modification time, then path."""
        return (self.mtime_ns, self.rel)

    @property
    def identity(self) -> tuple[int, int, int, int]:
        return (self.size, self.mtime_ns, self.inode, self.ctime_ns)


@dataclass
class Discovery:
    files: list[LandingFile] = field(default_factory=list)
    """Landing files (and unlistable folders) in last-write order."""
    ignored: dict[str, str] = field(default_factory=dict)
    """Relative path -> why it was not read."""


def landing_format(name: str) -> str | None:
    lower = name.lower()
    for suffix in sorted(FORMATS, key=len, reverse=True):
        if lower.endswith(suffix):
            return FORMATS[suffix]
    return None


def restat(lf: LandingFile) -> LandingFile:
    """``lf`` with its current size and times (raises ``OSError`` if it is gone)."""
    st = os.stat(lf.path)
    return replace(
        lf, size=st.st_size, mtime_ns=st.st_mtime_ns, inode=st.st_ino, ctime_ns=st.st_ctime_ns
    )


def _from_stat(path: Path, rel: str, fmt: str, st: os.stat_result) -> LandingFile:
    return LandingFile(path, rel, fmt, st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)


def _inside(target: str, root: str) -> bool:
    return target == root or target.startswith(root.rstrip(os.sep) + os.sep)


def _not_data(parts: Iterable[str]) -> bool:
    return any(p.startswith(".") or p in IGNORED_DIRS for p in parts)


class _Walker:
    """One walk of the landing tree; see the module docstring for the rules."""

    def __init__(self, landing: Path, follow_outside: bool, scandir: Scandir) -> None:
        self.root = os.path.realpath(landing)
        self.follow_outside = follow_outside
        self.scandir = scandir
        self.out = Discovery()
        self.seen_dirs = {self.root}

    def walk(self) -> Discovery:
        stack: list[tuple[str, str]] = [(self.root, "")]
        while stack:
            folder, rel = stack.pop()
            try:
                entries = sorted(self.scandir(folder), key=lambda e: e.name)
            except OSError as exc:
                self._unlistable(folder, rel, exc)
                continue
            for entry in entries:
                if _not_data([entry.name]):
                    continue
                child = f"{rel}/{entry.name}" if rel else entry.name
                sub = self._entry(entry, child)
                if sub is not None:
                    stack.append((sub, child))
        self.out.files.sort(key=lambda f: f.order_key)
        self.out.ignored = dict(sorted(self.out.ignored.items()))
        return self.out

    def _unlistable(self, folder: str, rel: str, exc: OSError) -> None:
        try:
            mtime_ns = os.lstat(folder).st_mtime_ns
        except OSError:
            mtime_ns = 0
        reason = f"{type(exc).__name__}: {exc.strerror or exc}"
        self.out.files.append(
            LandingFile(
                Path(folder), f"{rel}/" if rel else "./", DIRECTORY, 0, mtime_ns, error=reason
            )
        )

    def _entry(self, entry: os.DirEntry[str], rel: str) -> str | None:
        """Record a file or skip; return a folder to descend into, if any."""
        try:
            if entry.is_symlink():
                return self._link(entry, rel)
            if entry.is_dir(follow_symlinks=False):
                return entry.path
            st = entry.stat(follow_symlinks=False)
        except OSError as exc:
            self.out.ignored[rel] = f"{UNREADABLE_STAT}: {exc.strerror or exc}"
            return None
        self._file(Path(entry.path), rel, st)
        return None

    def _file(self, path: Path, rel: str, st: os.stat_result) -> None:
        if not stat.S_ISREG(st.st_mode):
            self.out.ignored[rel] = NOT_REGULAR
            return
        fmt = landing_format(rel)
        if fmt is None:
            self.out.ignored[rel] = UNKNOWN_FORMAT
            return
        self.out.files.append(_from_stat(path, rel, fmt, st))

    def _link(self, entry: os.DirEntry[str], rel: str) -> str | None:
        target = os.path.realpath(entry.path)
        try:
            st = os.stat(target)
        except OSError:
            self.out.ignored[rel] = BROKEN_LINK
            return None
        if _inside(target, self.root):
            if _not_data(Path(os.path.relpath(target, self.root)).parts):
                self.out.ignored[rel] = NOT_DATA_TARGET
                return None
            if stat.S_ISDIR(st.st_mode):
                self.out.ignored[rel] = LINKED_FOLDER
                return None
        elif not self.follow_outside:
            self.out.ignored[rel] = OUTSIDE_LANDING
            return None
        if stat.S_ISDIR(st.st_mode):
            if target in self.seen_dirs:
                self.out.ignored[rel] = "symlink cycle"
                return None
            self.seen_dirs.add(target)
            return target
        self._file(Path(target), rel, st)
        return None


def discover(
    landing: Path, follow_symlinks_outside: bool = False, scandir: Scandir = os.scandir
) -> Discovery:
    """Landing files in last-write order, and every skipped path with its reason.

    Hidden files and folders (a leading dot: editor swap files, ``.partial``
    uploads) and ``_truth`` folders are not data and are not listed. ``scandir`` is
    injectable so tests can simulate folders that fail to list.
    """
    if not landing.is_dir():
        return Discovery()
    return _Walker(landing, follow_symlinks_outside, scandir).walk()
