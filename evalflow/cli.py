"""``evalflow``: simulate traffic, run the pipeline through Dagster, open the UI.

Every command works on ``$EVALFLOW_HOME`` (default ``./data``). Errors a user can
cause (a bad date, an invalid config) print one clear message and exit non-zero;
they never end in a traceback.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from evalflow.config import ConfigError, Paths, load_settings
from evalflow.orchestration.plan import run_plan, weeks_within

if TYPE_CHECKING:
    from evalflow.orchestration.range_run import RangeReport

_weeks_within = weeks_within  # kept for callers of the old private name
__all__ = ["main", "run_plan"]

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CONFIG = REPO_ROOT / "data" / "evalflow.yaml"

DEMO_START = dt.date(2026, 10, 5)  # a Monday, so the demo covers four whole weeks
DEMO_DAYS = 28
DEMO_PER_DAY = 1500
DEMO_SEED = 7
SUMMARY_TABLES = (
    "raw_interactions",
    "quarantined_records",
    "judge_scores",
    "quality_alerts",
    "rollout_decisions",
    "issue_priorities",
    "regression_cases",
)


class UserError(Exception):
    """A problem the user can fix; printed without a traceback."""


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {value}")
    return value


def ensure_home(paths: Paths) -> None:
    """Create the home folder and give it the default config if it has none."""
    paths.home.mkdir(parents=True, exist_ok=True)
    paths.landing.mkdir(parents=True, exist_ok=True)
    if not paths.config_file.exists() and DEFAULT_CONFIG.exists():
        shutil.copy(DEFAULT_CONFIG, paths.config_file)


# -- simulate -----------------------------------------------------------------
def cmd_simulate(args: argparse.Namespace) -> int:
    from evalflow.simulate import SCENARIOS, simulate

    if args.scenario not in SCENARIOS:
        raise UserError(
            f"unknown scenario {args.scenario!r}; choose one of: {', '.join(sorted(SCENARIOS))}"
        )
    paths = Paths.from_env()
    out = Path(args.out).resolve() if args.out else paths.landing
    out.mkdir(parents=True, exist_ok=True)
    try:
        summary = simulate(
            start=args.start,
            days=args.days,
            per_day=args.per_day,
            seed=args.seed,
            scenario=args.scenario,
            out_dir=out,
            style=args.style,
        )
    except ValueError as err:  # a scenario the style does not define
        raise UserError(str(err)) from None
    print(f"simulated {args.days} day(s) of '{args.scenario}' {args.style} traffic into {out}")
    print(f"  {summary}")
    print(f"  ground truth (never read by the pipeline): {out / '_truth'}")
    return 0


# -- run ----------------------------------------------------------------------
def run_range(
    start: dt.date,
    end: dt.date,
    quiet: bool = False,
    after_day: Callable[[dt.date], None] | None = None,
) -> RangeReport:
    """Materialise every partition in the range through Dagster (see ``range_run``)."""
    from evalflow.orchestration.range_run import run_range as execute_range

    paths = Paths.from_env()
    ensure_home(paths)
    return execute_range(paths, start, end, quiet=quiet, after_day=after_day)


def _summary(paths: Paths) -> list[str]:
    """Row counts of the main tables; a line saying why when the warehouse cannot be read."""
    import duckdb

    from evalflow.storage import Warehouse, WarehouseBusyError

    wh = Warehouse(paths.database)
    lines = []
    try:
        for table in SUMMARY_TABLES:
            if wh.table_exists(table):
                n = int(wh.query_df(f'SELECT count(*) AS n FROM "{table}"')["n"].iloc[0])
                lines.append(f"  {table}: {n:,} rows")
    except (WarehouseBusyError, duckdb.Error, OSError) as exc:
        lines.append(f"  (row counts unavailable: {str(exc).splitlines()[0]})")
    return lines


def _print_outcome(report: RangeReport, paths: Paths, hint: str = "") -> int:
    """Tables, open alerts, failures and, for a stopped range, what was not done; the exit code."""
    from evalflow.orchestration.progress import ALERT_FLOOR, open_alert_lines

    print("tables in", paths.database)
    for line in _summary(paths):
        print(line)
    alerts = open_alert_lines(paths.database, report.days())
    if alerts:
        print(f"\n{len(alerts)} open alert(s) at or above {ALERT_FLOOR} severity:")
        for line in alerts:
            print(line)
    print(f"\n{report.summary()}")
    if report.busy:
        print(f"\nevalflow: stopped: {report.busy}", file=sys.stderr)
    if report.stopped_by:
        print(f"\nevalflow: stopped by {report.stopped_by}", file=sys.stderr)
    if report.stopped_by or report.busy:
        for line in report.stop_summary():
            print(line, file=sys.stderr)
    failures = report.failures
    if failures:
        print(f"\n{len(failures)} run(s) failed:", file=sys.stderr)
        for f in failures:
            print(f"  {f}", file=sys.stderr)
        if hint:
            print(hint, file=sys.stderr)
    if report.stopped_by:
        return report.exit_code
    return 1 if failures or report.busy else 0


def cmd_run(args: argparse.Namespace) -> int:
    if args.end < args.start:
        raise UserError(f"--end {args.end} is before --start {args.start}")
    paths = Paths.from_env()
    load_settings(paths.config_file)  # a bad config is named before the partition check
    from evalflow.partitions import range_problem

    problem = range_problem(args.start, args.end)
    if problem:
        raise UserError(problem)
    print(f"running {args.start} .. {args.end} in {paths.home}", flush=True)
    report = run_range(args.start, args.end)
    return _print_outcome(report, paths, "open `evalflow ui` to see the failing step's logs")


# -- demo ---------------------------------------------------------------------
def cmd_demo(args: argparse.Namespace) -> int:
    paths = Paths.from_env()
    ensure_home(paths)
    end = DEMO_START + dt.timedelta(days=DEMO_DAYS - 1)
    print(f"evalflow demo: {DEMO_DAYS} days x ~{args.per_day} interactions into {paths.home}")
    cmd_simulate(
        argparse.Namespace(
            start=DEMO_START,
            days=DEMO_DAYS,
            per_day=args.per_day,
            seed=DEMO_SEED,
            scenario="demo",
            out=None,
            style="support",
        )
    )
    print("materialising every partition through Dagster ...", flush=True)
    from evalflow.demo import label_review_queue

    # A reviewer labels each day's review queue overnight (from the simulator's
    # ground truth), so judge calibration improves day by day as in production.
    report = run_range(DEMO_START, end, after_day=lambda d: label_review_queue(paths, d))
    print()
    code = _print_outcome(report, paths)
    reports = sorted(paths.reports.glob("**/*.html"))
    if reports:
        print("\nreports (open in a browser, they work offline):")
        for sub in ("daily", "weekly"):
            found = sorted((paths.reports / sub).glob("*.html"))
            if found:
                print(f"  {sub}: {found[0].parent}/ ({len(found)} files, latest {found[-1].name})")
    print(f"regression cases: {paths.regression}")
    print(f"review queue for human labelling: {paths.review}")
    print("explore it all in the Dagster UI: evalflow ui (or make ui)")
    return code


# -- status -------------------------------------------------------------------
def cmd_status(args: argparse.Namespace) -> int:
    from evalflow.orchestration.status import status_lines

    for line in status_lines(Paths.from_env(), limit=args.limit):
        print(line)
    return 0


# -- ui -----------------------------------------------------------------------
def cmd_ui(args: argparse.Namespace) -> int:
    from evalflow.orchestration.instance import ensure_dagster_home

    paths = Paths.from_env()
    ensure_home(paths)
    load_settings(paths.config_file)
    env = dict(os.environ)
    env["DAGSTER_HOME"] = str(ensure_dagster_home(paths))
    env["EVALFLOW_HOME"] = str(paths.home)
    cmd = [
        sys.executable,
        "-m",
        "dagster",
        "dev",
        "-w",
        str(REPO_ROOT / "workspace.yaml"),
        "--host",
        args.host,
        "--port",
        str(args.port),
    ]
    print("starting the Dagster UI and daemon:", " ".join(cmd))
    return subprocess.call(cmd, env=env, cwd=REPO_ROOT)


STYLES = ("support", "chat")
DEFAULT_SEED = 7
"""A fixed default seed, so two runs of ``evalflow simulate`` write the same traffic."""


def _version() -> str:
    """The installed package's version (from its metadata, so it cannot drift)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("evalflow")
    except PackageNotFoundError:  # a source checkout that was never installed
        return "unknown (not installed)"


def _subparser(sub: argparse._SubParsersAction, name: str, text: str) -> argparse.ArgumentParser:
    """A subcommand whose help shows every option's default."""
    return sub.add_parser(
        name, help=text, description=text, formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )


def _add_simulate(sub: argparse._SubParsersAction) -> None:
    from evalflow.simulate import SCENARIOS

    sim = _subparser(sub, "simulate", "write realistic synthetic logs to the landing folder")
    sim.add_argument("--start", type=_date, required=True, help="first day (YYYY-MM-DD)")
    sim.add_argument("--days", type=_positive, required=True, help="number of days to write")
    sim.add_argument(
        "--per-day", type=_positive, required=True, help="interactions per day (about)"
    )
    sim.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed")
    sim.add_argument(
        "--scenario",
        default="demo",
        choices=sorted(SCENARIOS),
        help="which incidents to inject",
    )
    sim.add_argument(
        "--style",
        default="support",
        choices=STYLES,
        help="support copilot traffic or open-domain chat with paraphrased answers",
    )
    sim.add_argument("--out", default=None, help="folder (default: $EVALFLOW_HOME/landing)")
    sim.set_defaults(func=cmd_simulate)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="evalflow", description="Evaluate and monitor an LLM application with Dagster."
    )
    parser.add_argument("--version", action="version", version=f"evalflow {_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_simulate(sub)

    run = _subparser(sub, "run", "materialise every partition in a date range")
    run.add_argument("--start", type=_date, required=True, help="first day (YYYY-MM-DD)")
    run.add_argument("--end", type=_date, required=True, help="last day, inclusive (YYYY-MM-DD)")
    run.set_defaults(func=cmd_run)

    demo = _subparser(sub, "demo", "simulate + run a 28-day demo, print the report paths")
    demo.add_argument(
        "--per-day", type=_positive, default=DEMO_PER_DAY, help="interactions per day (about)"
    )
    demo.set_defaults(func=cmd_demo)

    status = _subparser(sub, "status", "last runs, open alerts by severity, latest reports")
    status.add_argument("--limit", type=_positive, default=10, help="how many recent runs to list")
    status.set_defaults(func=cmd_status)

    ui = _subparser(sub, "ui", "the Dagster UI and daemon on this project")
    ui.add_argument("--host", default="127.0.0.1", help="address the webserver listens on")
    ui.add_argument("--port", type=int, default=3000, help="port the webserver listens on")
    ui.set_defaults(func=cmd_ui)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (ConfigError, UserError) as exc:
        print(f"evalflow: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("evalflow: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
