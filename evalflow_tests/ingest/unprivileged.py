"""Run a piece of Python without root's permission to read what it may not read.

The tests run as root, and root reads a ``chmod 000`` file anyway, so permission
cases run in a subprocess whose capability bounding set lacks ``dac_override`` and
``dac_read_search`` (``setpriv``): the same uid, so it still owns the test's
folders, but file modes now apply to it. When that is not possible here the test
is skipped with the reason, never passed vacuously.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
DROP = ["--bounding-set=-dac_override,-dac_read_search", "--inh-caps=-all"]


def _command() -> list[str]:
    if os.geteuid() != 0:
        return [sys.executable]
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root and setpriv is not installed: cannot drop read override")
    return [setpriv, *DROP, sys.executable]


def _check_it_works(cmd: list[str], scratch: Path) -> None:
    locked = scratch / "probe-locked"
    locked.write_text("x")
    locked.chmod(0)
    try:
        probe = subprocess.run(
            [*cmd, "-c", f"open({str(locked)!r}).read()"], capture_output=True, text=True
        )
    finally:
        locked.chmod(0o600)
        locked.unlink()
    if probe.returncode == 0:
        pytest.skip("could not drop the read override here: a chmod 000 file stays readable")
    if "PermissionError" not in probe.stderr:
        pytest.skip(f"cannot run without the read override here: {probe.stderr.strip()[-200:]}")


def run_python(code: str, scratch: Path, env: dict[str, str]) -> Any:
    """Run ``code`` unprivileged; it must print one JSON document, which is returned."""
    cmd = _command()
    _check_it_works(cmd, scratch)
    full_env = {**os.environ, **env, "PYTHONPATH": str(REPO_ROOT)}
    done = subprocess.run(
        [*cmd, "-c", code], capture_output=True, text=True, env=full_env, cwd=REPO_ROOT, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])
