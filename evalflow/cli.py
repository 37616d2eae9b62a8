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

from evalflow.config import ConfigError, Paths, load_settings

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CONFIG = REPO_ROOT / "data" / "evalflow.yaml"

DEMO_START = dt.date(2026, 10, 5)  # a Monday, so the demo covers four whole weeks
DEMO_DAYS = 28
DEMO_PER_DAY = 1500
DEMO_SEED = 7


QUIET_LOGS = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


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
def _weeks_within(start: dt.date, end: dt.date) -> list[dt.date]:
    """Mondays of the weeks that lie entirely inside [start, end]."""
    monday = start + dt.timedelta(days=(7 - start.weekday()) % 7)
    weeks = []
    while monday + dt.timedelta(days=6) <= end:
        weeks.append(monday)
        monday += dt.timedelta(days=7)
    return weeks


def run_range(
    start: dt.date,
    end: dt.date,
    quiet: bool = False,
    after_day: Callable[[dt.date], None] | None = None,
) -> list[str]:
    """Materialise every daily partition in the range, each whole week after its Sunday.

    Runs execute in this process (one DuckDB writer) but are recorded in the
    project's Dagster instance, so they show in the UI. Returns failure messages.
    """
    from evalflow.definitions import defs
    from evalflow.orchestration.instance import project_instance
    from evalflow.orchestration.jobs import DAILY_JOB, WEEKLY_JOB

    paths = Paths.from_env()
    ensure_home(paths)
    load_settings(paths.config_file)  # fail fast on a bad config, before any run
    instance = project_instance(paths)
    failures: list[str] = []

    def _run(job_name: str, key: str) -> None:
        job = defs.resolve_job_def(job_name)
        result = job.execute_in_process(
            partition_key=key,
            instance=instance,
            raise_on_error=False,
            run_config=QUIET_LOGS,  # the full event log is in the UI; the terminal gets a summary
        )
        failed_steps = [
            e.step_key for e in result.all_events if e.event_type_value == "STEP_FAILURE"
        ]
        failed_checks = [
            f"{c.asset_key.to_user_string()}:{c.check_name}"
            for c in result.get_asset_check_evaluations()
            if not c.passed and c.severity.value == "ERROR"
        ]
        status = "ok" if result.success and not failed_checks else "FAILED"
        if not quiet:
            extra = ""
            if failed_steps:
                extra += f" failed steps: {', '.join(failed_steps)}"
            if failed_checks:
                extra += f" failed checks: {', '.join(failed_checks)}"
            print(f"  {job_name} {key}: {status} (run {result.run_id[:8]}){extra}", flush=True)
        if status != "ok":
            failures.append(f"{job_name} {key}: {status}{extra if not quiet else ''}")

    has_weekly = any(j.name == WEEKLY_JOB for j in defs.jobs or [])
    for job_name, key in run_plan(start, end, weekly=has_weekly):
        _run(job_name, key)
        if job_name == DAILY_JOB and after_day is not None:
            after_day(dt.date.fromisoformat(key))
    return failures


def run_plan(start: dt.date, end: dt.date, weekly: bool = True) -> list[tuple[str, str]]:
    """(job, partition) in the order the schedules would have run them.

    Every day in order; a whole week's audit right after its Sunday, so the following
    days' issue lists and reports see its findings (as in production, where the weekly
    schedule runs on Monday).
    """
    from evalflow.orchestration.jobs import DAILY_JOB, WEEKLY_JOB

    week_after = {m + dt.timedelta(days=6): m for m in _weeks_within(start, end)}
    plan: list[tuple[str, str]] = []
    day = start
    while day <= end:
        plan.append((DAILY_JOB, day.isoformat()))
        if weekly and day in week_after:
            plan.append((WEEKLY_JOB, week_after[day].isoformat()))
        day += dt.timedelta(days=1)
    return plan


def _summary(paths: Paths) -> list[str]:
    from evalflow.storage import Warehouse

    wh = Warehouse(paths.database)
    lines = []
    for table in (
        "raw_interactions",
        "quarantined_records",
        "judge_scores",
        "quality_alerts",
        "rollout_decisions",
        "issue_priorities",
        "regression_cases",
    ):
        if wh.table_exists(table):
            n = int(wh.query_df(f'SELECT count(*) AS n FROM "{table}"')["n"].iloc[0])
            lines.append(f"  {table}: {n:,} rows")
    return lines


def cmd_run(args: argparse.Namespace) -> int:
    if args.end < args.start:
        raise UserError(f"--end {args.end} is before --start {args.start}")
    paths = Paths.from_env()
    print(f"running {args.start} .. {args.end} in {paths.home}", flush=True)
    failures = run_range(args.start, args.end)
    print("tables in", paths.database)
    for line in _summary(paths):
        print(line)
    if failures:
        print(f"\n{len(failures)} run(s) failed:", file=sys.stderr)
        for f in failures:
            print(f"  {f}", file=sys.stderr)
        print("open `evalflow ui` to see the failing step's logs", file=sys.stderr)
        return 1
    return 0


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
        )
    )
    print("materialising every partition through Dagster ...", flush=True)
    from evalflow.demo import label_review_queue

    # A reviewer labels each day's review queue overnight (from the simulator's
    # ground truth), so judge calibration improves day by day as in production.
    failures = run_range(DEMO_START, end, after_day=lambda d: label_review_queue(paths, d))
    print("\ntables in", paths.database)
    for line in _summary(paths):
        print(line)
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
    if failures:
        print(f"\n{len(failures)} run(s) failed:", file=sys.stderr)
        for f in failures:
            print(f"  {f}", file=sys.stderr)
        return 1
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="evalflow", description="Evaluate and monitor an LLM application with Dagster."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    sim = sub.add_parser("simulate", help="write realistic synthetic logs to the landing folder")
    sim.add_argument("--start", type=_date, required=True)
    sim.add_argument("--days", type=_positive, required=True)
    sim.add_argument("--per-day", type=_positive, required=True)
    sim.add_argument("--seed", type=int, required=True)
    sim.add_argument("--scenario", default="demo")
    sim.add_argument(
        "--style",
        default="support",
        choices=["support", "chat"],
        help="support copilot traffic (default) or open-domain chat with paraphrased answers",
    )
    sim.add_argument("--out", default=None, help="folder (default $EVALFLOW_HOME/landing)")
    sim.set_defaults(func=cmd_simulate)

    run = sub.add_parser("run", help="materialise every partition in a date range")
    run.add_argument("--start", type=_date, required=True)
    run.add_argument("--end", type=_date, required=True)
    run.set_defaults(func=cmd_run)

    demo = sub.add_parser("demo", help="simulate + run a 28-day demo, print the report paths")
    demo.add_argument("--per-day", type=_positive, default=DEMO_PER_DAY)
    demo.set_defaults(func=cmd_demo)

    ui = sub.add_parser("ui", help="the Dagster UI and daemon on this project")
    ui.add_argument("--host", default="127.0.0.1")
    ui.add_argument("--port", type=int, default=3000)
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
