"""How much of the day the judges actually measured, and when that is an incident.

A judge stage whose every row ended ``status=error`` (endpoint down, key revoked)
used to materialise "successfully": every KPI built on it was then silently empty,
the run exited 0 and nothing alerted. Coverage makes that visible.

Shares are over the *applicable* rows (``not_applicable`` rows, e.g. faithfulness
without retrieved context, are not judgements anyone expected):

* ``measured``: ``status=ok`` with a pass or fail verdict (what KPIs can use);
* ``error``, ``over_budget``: judgements that were due and did not happen;
* ``uncertain``: judged, no evidence either way (unmeasured in KPIs by contract).

Severity policy (fixed here, not tuned to any data: they encode "nothing" and
"most"): no measurement at all, or at least half the rows in error, is an ERROR
(the check fails the run, and ``quality_alerts`` raises a high ``judge_coverage``
alert); more than 5% errors, more than 20% over budget or more than half uncertain
is a WARN (medium alert).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

ERROR_SHARE_FAIL = 0.5
ERROR_SHARE_WARN = 0.05
OVER_BUDGET_SHARE_WARN = 0.2
UNCERTAIN_SHARE_WARN = 0.5


@dataclass(frozen=True)
class Coverage:
    rows: int
    applicable: int
    measured: int
    errors: int
    over_budget: int
    uncertain: int

    def share(self, n: int) -> float:
        return n / self.applicable if self.applicable else 0.0

    @property
    def coverage(self) -> float:
        return self.share(self.measured)

    def findings(self) -> list[tuple[str, str]]:
        """(severity ``error``/``warn``, why) for every rule the day breaks, worst first."""
        if self.applicable == 0:
            return []
        out: list[tuple[str, str]] = []
        err, over, unc = (self.share(n) for n in (self.errors, self.over_budget, self.uncertain))
        if self.measured == 0:
            out.append(
                (
                    "error",
                    f"the judges measured nothing: 0 of {self.applicable} applicable judgements "
                    f"have a pass/fail verdict ({self.errors} error, {self.over_budget} "
                    f"over budget, {self.uncertain} uncertain)",
                )
            )
        elif err >= ERROR_SHARE_FAIL:
            out.append(("error", f"{err:.0%} of judgements ended in error ({self.errors})"))
        elif err > ERROR_SHARE_WARN:
            out.append(("warn", f"{err:.0%} of judgements ended in error ({self.errors})"))
        if self.measured and over > OVER_BUDGET_SHARE_WARN:
            out.append(("warn", f"{over:.0%} of judgements were over the daily budget"))
        if self.measured and unc > UNCERTAIN_SHARE_WARN:
            out.append(("warn", f"{unc:.0%} of judgements were uncertain (no evidence)"))
        return out

    def as_metadata(self) -> dict[str, float | int]:
        return {
            "rows": self.rows,
            "applicable": self.applicable,
            "measured": self.measured,
            "coverage": round(self.coverage, 4),
            "error_share": round(self.share(self.errors), 4),
            "over_budget_share": round(self.share(self.over_budget), 4),
            "uncertain_share": round(self.share(self.uncertain), 4),
        }


def coverage_of(scores: pd.DataFrame) -> Coverage:
    """Count a day's ``judge_scores`` rows (needs ``status`` and ``verdict``)."""
    if scores.empty:
        return Coverage(0, 0, 0, 0, 0, 0)
    status = scores["status"].astype("string")
    verdict = scores["verdict"].astype("string") if "verdict" in scores else None
    ok = status == "ok"
    uncertain = ok & (verdict == "uncertain") if verdict is not None else ok & False
    return Coverage(
        rows=len(scores),
        applicable=int((status != "not_applicable").sum()),
        measured=int((ok & ~uncertain.fillna(False)).sum()),
        errors=int((status == "error").sum()),
        over_budget=int((status == "over_budget").sum()),
        uncertain=int(uncertain.fillna(False).sum()),
    )
