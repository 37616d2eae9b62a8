"""SIGINT/SIGTERM for a command that executes Dagster runs in its own process.

While a run executes, Dagster swaps in its own SIGINT/SIGTERM handler: a signal then
aborts the step in progress (it raises inside the step's code), fails that run and
returns. Left at that, ``evalflow run`` would start the next day as if nothing had
happened, and a signal that lands while a step waits for a pool slot, or between two
steps, is only remembered by Dagster, not acted on.

``StopSignals`` sees every signal whichever handler is installed: CPython writes
each caught signal's number to the wakeup fd (``signal.set_wakeup_fd``) before any
Python handler runs. The command asks ``requested`` before starting each run and
stops. If the run in progress has not ended ``grace_s`` seconds after the signal
(blocked on a pool slot, stuck in native code), or a second signal arrives, the
``on_force`` callback runs on a watchdog thread: it releases what the run holds and
exits the process.
"""

from __future__ import annotations

import os
import select
import signal
import threading
import time
from collections.abc import Callable
from types import FrameType, TracebackType

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
DEFAULT_GRACE_S = float(os.environ.get("EVALFLOW_STOP_GRACE_S", "30"))


class StopSignals:
    """Record SIGINT/SIGTERM for the duration of a ``with`` block (main thread only)."""

    def __init__(
        self,
        on_force: Callable[[int], None] | None = None,
        grace_s: float = DEFAULT_GRACE_S,
    ) -> None:
        self.on_force = on_force
        self.grace_s = grace_s
        self.signum: int | None = None
        self._first_at = 0.0
        self._count = 0
        self._busy = False
        self._forced = False
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._fds: tuple[int, int] | None = None
        self._old_fd = -1
        self._old_handlers: dict[int, object] = {}
        self._thread: threading.Thread | None = None

    # -- public --------------------------------------------------------------
    @property
    def requested(self) -> int | None:
        """The first stop signal received so far, if any."""
        self._drain()
        return self.signum

    @property
    def exit_code(self) -> int:
        """The shell convention: 128 + signal number (130 for SIGINT, 143 for SIGTERM)."""
        return 128 + (self.signum or 0)

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name if self.signum else ""

    def busy(self, flag: bool) -> None:
        """Tell the watchdog whether a run is executing (only then may it force an exit)."""
        with self._lock:
            self._busy = flag

    # -- context -------------------------------------------------------------
    def __enter__(self) -> StopSignals:
        if threading.current_thread() is not threading.main_thread():
            return self  # signals are only delivered to the main thread; nothing to watch
        r, w = os.pipe()
        os.set_blocking(r, False)
        os.set_blocking(w, False)
        self._fds = (r, w)
        self._old_fd = signal.set_wakeup_fd(w, warn_on_full_buffer=False)
        # Between runs our handler is the one installed: it must not raise
        # KeyboardInterrupt, the number reaches us through the wakeup fd.
        for sig in STOP_SIGNALS:
            self._old_handlers[sig] = signal.signal(sig, _ignore)
        self._thread = threading.Thread(target=self._watch, name="evalflow-stop", daemon=True)
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._done.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        if not self._fds:
            return
        self._drain()
        signal.set_wakeup_fd(self._old_fd)
        for sig, handler in self._old_handlers.items():
            signal.signal(sig, handler)  # type: ignore[arg-type]
        if self._fds:
            for fd in self._fds:
                os.close(fd)
            self._fds = None

    # -- internals -----------------------------------------------------------
    def _drain(self) -> None:
        if not self._fds:
            return
        with self._lock:
            try:
                data = os.read(self._fds[0], 512)
            except (BlockingIOError, OSError):
                return
            for signum in data:
                if signum in STOP_SIGNALS:
                    self._count += 1
                    if self.signum is None:
                        self.signum, self._first_at = signum, time.monotonic()

    def _should_force(self) -> bool:
        with self._lock:
            if self.signum is None or not self._busy or self._forced:
                return False
            late = time.monotonic() - self._first_at >= self.grace_s
            if late or self._count > 1:
                self._forced = True
                return True
            return False

    def _watch(self) -> None:
        while not self._done.is_set():
            if self._fds:
                select.select([self._fds[0]], [], [], 0.5)
            self._drain()
            if self.on_force is not None and self._should_force():
                self.on_force(self.signum or signal.SIGTERM)


def _ignore(signum: int, frame: FrameType | None) -> None:
    """Installed between runs: the signal is read from the wakeup fd instead."""
