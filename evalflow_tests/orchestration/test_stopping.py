"""StopSignals sees SIGINT/SIGTERM whoever's handler is installed, and escalates when stuck."""

from __future__ import annotations

import os
import signal
import threading
import time

from evalflow.orchestration.stopping import StopSignals


def _wait_for(predicate, seconds: float = 5.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def test_sigterm_and_sigint_are_recorded_not_raised() -> None:
    before = signal.getsignal(signal.SIGINT)
    with StopSignals() as stop:
        assert stop.requested is None
        os.kill(os.getpid(), signal.SIGINT)  # would be KeyboardInterrupt without the block
        assert _wait_for(lambda: stop.requested == signal.SIGINT)
        os.kill(os.getpid(), signal.SIGTERM)
        assert stop.requested == signal.SIGINT  # the first signal decides the exit code
        assert stop.exit_code == 130 and stop.name == "SIGINT"
    assert signal.getsignal(signal.SIGINT) is before


def test_signal_is_seen_while_another_handler_is_installed() -> None:
    """Dagster installs its own handler during a run: the signal must still reach us."""
    seen: list[int] = []
    with StopSignals() as stop:
        previous = signal.signal(signal.SIGTERM, lambda signum, frame: seen.append(signum))
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            assert _wait_for(lambda: bool(seen))
        finally:
            signal.signal(signal.SIGTERM, previous)
        assert _wait_for(lambda: stop.requested == signal.SIGTERM)
        assert stop.exit_code == 143


def test_force_after_grace_only_while_a_run_is_busy() -> None:
    forced = threading.Event()
    with StopSignals(on_force=lambda signum: forced.set(), grace_s=0.3) as stop:
        os.kill(os.getpid(), signal.SIGTERM)
        assert _wait_for(lambda: stop.requested == signal.SIGTERM)
        assert not forced.wait(0.8)  # between runs: nothing to force
        stop.busy(True)
        assert forced.wait(5)


def test_second_signal_forces_at_once() -> None:
    forced = threading.Event()
    with StopSignals(on_force=lambda signum: forced.set(), grace_s=600) as stop:
        stop.busy(True)
        os.kill(os.getpid(), signal.SIGINT)
        assert _wait_for(lambda: stop.requested == signal.SIGINT)
        assert not forced.wait(0.5)
        os.kill(os.getpid(), signal.SIGINT)
        assert forced.wait(5)


def test_outside_the_main_thread_it_is_inert() -> None:
    errors: list[BaseException] = []

    def body() -> None:
        try:
            with StopSignals() as stop:
                assert stop.requested is None
        except BaseException as exc:
            errors.append(exc)

    worker = threading.Thread(target=body)
    worker.start()
    worker.join()
    assert errors == []
