"""Every subcommand explains its options, and wrong arguments never end in a traceback."""

from __future__ import annotations

import subprocess
from importlib.metadata import version

import pytest

from evalflow.cli import DEFAULT_SEED, build_parser, main
from evalflow.config import Paths
from evalflow_tests.cli.procs import EVALFLOW, env_for

WRONG_ARGUMENTS = [
    ["simulate", "--start", "2026-10-05", "--days", "1", "--per-day", "10", "--scenario", "nope"],
    ["simulate", "--start", "2026-10-05", "--days", "0", "--per-day", "10"],
    ["simulate", "--start", "2026-10-05", "--days", "1", "--per-day", "10", "--style", "poem"],
    ["simulate", "--start", "yesterday", "--days", "1", "--per-day", "10"],
    ["simulate", "--days", "1", "--per-day", "10"],
    ["run", "--start", "2026-10-05"],
    ["run", "--start", "2026-10-05", "--end", "soon"],
    ["demo", "--per-day", "-3"],
    ["ui", "--port", "http"],
    ["status", "--limit", "none"],
    ["frobnicate"],
    [],
]


@pytest.mark.parametrize("argv", WRONG_ARGUMENTS, ids=lambda a: " ".join(a) or "no-args")
def test_wrong_arguments_exit_2_with_one_line_and_no_traceback(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    errors = [line for line in err.splitlines() if line.startswith("evalflow")]
    assert len([e for e in errors if "error:" in e]) == 1, err


def test_wrong_arguments_in_a_real_process_have_no_traceback(home: Paths) -> None:
    proc = subprocess.run(
        [EVALFLOW, "simulate", "--start", "2026-10-05", "--days", "1", "--per-day", "x"],
        env=env_for(home),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "not a whole number: 'x'" in proc.stderr


def test_help_lists_scenarios_styles_and_defaults(capsys: pytest.CaptureFixture[str]) -> None:
    from evalflow.simulate import SCENARIOS

    with pytest.raises(SystemExit) as exc:
        main(["simulate", "--help"])
    assert exc.value.code == 0
    out = " ".join(capsys.readouterr().out.split())
    for name in SCENARIOS:
        assert name in out
    assert "{support,chat}" in out
    assert f"random seed (default: {DEFAULT_SEED})" in out
    assert "(default: demo)" in out


def test_every_option_has_help_text() -> None:
    import argparse

    parser = build_parser()
    subs = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name, sub in subs.choices.items():
        for action in sub._actions:
            assert action.help, f"{name} {action.option_strings} has no help text"


def test_seed_is_optional_with_a_fixed_default() -> None:
    args = build_parser().parse_args(
        ["simulate", "--start", "2026-10-05", "--days", "1", "--per-day", "5"]
    )
    assert args.seed == DEFAULT_SEED


def test_version_prints_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"evalflow {version('evalflow')}"
