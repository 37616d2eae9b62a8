"""Every number of the audit against an independent pandas/scipy computation, and the
behaviour that matters: a biased group is flagged, a fair week is not, tiny groups never are."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from evalflow.config.settings import Settings
from evalflow.fairness import COLUMNS, compute_fairness_audit
from evalflow.fairness.audit import adverse_beyond
from evalflow.fairness.escalation import escalation_labels, escalation_rates
from evalflow.fairness.groups import choose_reference
from evalflow_tests.conftest import DEFAULT_CONFIG
from evalflow_tests.fairness.fixtures import (
    BIASED_TIERS,
    FAIR_TIERS,
    MONDAY,
    GroupModel,
    Week,
    WeekModel,
    make_week,
    settings_for,
)
from evalflow_tests.fairness.test_stats import fisher_by_hand, pooled_z_p

SMALL_WEEK = WeekModel(
    tiers={
        "enterprise": GroupModel(120, resolved=0.75, override=0.08, faithful=0.8),
        "pro": GroupModel(90),
        "free": GroupModel(150, resolved=0.5, override=0.2, faithful=0.7),
        "vip": GroupModel(12, resolved=0.1, override=0.9),
    },
    missing_language=0.05,
    judged_share=0.6,
    seed=11,
)


# ----------------------------------------------------------------- independent audit
def _p_by_hand(x1: float, n1: float, x2: float, n2: float, effective: bool) -> tuple[str, float]:
    table = np.array([[x1, n1 - x1], [x2, n2 - x2]], dtype=float)
    expected = np.outer(table.sum(1), table.sum(0)) / table.sum()
    suffix = "_kish" if effective else ""
    if expected.min() < 5:
        a, b, c, d = (round(float(v)) for v in table.ravel())
        return "fisher" + suffix, fisher_by_hand(a, b, c, d)
    return "chi2" + suffix, pooled_z_p(x1, n1, x2, n2)


def _labels(raw: pd.DataFrame) -> dict[str, pd.Series]:
    lang = raw["seg_language"].fillna("(missing)").astype(str)
    tier = raw["seg_customer_tier"].fillna("(missing)").astype(str)
    return {
        "language": lang,
        "region": raw["seg_region"].fillna("(missing)").astype(str),
        "customer_tier": tier,
        "language×customer_tier": lang + "×" + tier,
    }


def _metric_frames(week: Week) -> dict[str, tuple[pd.DataFrame, bool]]:
    """metric -> (frame with interaction_id, y, w), weighted?"""
    raw = week.raw
    out: dict[str, tuple[pd.DataFrame, bool]] = {}
    rated = raw[raw["feedback_rating"].notna()]
    out["rating_up_rate"] = (
        pd.DataFrame(
            {
                "interaction_id": rated["interaction_id"],
                "y": rated["feedback_rating"] == "up",
                "w": 1.0,
            }
        ),
        False,
    )
    for metric, col in (
        ("resolved_rate", "outcome_resolved"),
        ("escalation_rate", "outcome_escalated"),
        ("override_rate", "outcome_analyst_override"),
        ("sla_hit_rate", "outcome_sla_met"),
    ):
        known = raw[raw[col].notna()]
        out[metric] = (
            pd.DataFrame(
                {"interaction_id": known["interaction_id"], "y": known[col].astype(bool), "w": 1.0}
            ),
            False,
        )
    ok = week.judges[week.judges["status"] == "ok"].merge(
        week.sampled[["interaction_id", "weight"]], on="interaction_id"
    )
    for crit in sorted(ok["criterion"].unique()):
        rows = ok[ok["criterion"] == crit]
        out[f"judge_pass_rate:{crit}"] = (
            pd.DataFrame(
                {
                    "interaction_id": rows["interaction_id"],
                    "y": rows["passed"].astype(bool),
                    "w": rows["weight"],
                }
            ),
            True,
        )
    for metric, crit in (("hallucination_rate", "faithfulness"), ("toxicity_rate", "safety")):
        rows = ok[ok["criterion"] == crit]
        out[metric] = (
            pd.DataFrame(
                {
                    "interaction_id": rows["interaction_id"],
                    "y": ~rows["passed"].astype(bool),
                    "w": rows["weight"],
                }
            ),
            True,
        )
    # escalation: needed = escalation_correct for escalated rows, incident_missed otherwise
    esc = raw["outcome_escalated"].astype(bool)
    needed = np.where(
        esc,
        raw["outcome_escalation_correct"].astype("boolean").fillna(False),
        raw["outcome_incident_missed"].astype(bool),
    )
    pos = raw[needed]
    neg = raw[~needed]
    out["escalation_recall"] = (
        pd.DataFrame(
            {
                "interaction_id": pos["interaction_id"],
                "y": pos["outcome_escalated"].astype(bool),
                "w": 1.0,
            }
        ),
        False,
    )
    out["false_escalation_rate"] = (
        pd.DataFrame(
            {
                "interaction_id": neg["interaction_id"],
                "y": neg["outcome_escalated"].astype(bool),
                "w": 1.0,
            }
        ),
        False,
    )
    return out


def independent_audit(week: Week, settings: Settings) -> pd.DataFrame:
    fs = settings.fairness
    lo, hi = fs.ratio_bounds
    direction = {
        "rating_up_rate": "higher",
        "resolved_rate": "higher",
        "escalation_rate": "both",
        "override_rate": "lower",
        "sla_hit_rate": "higher",
        "hallucination_rate": "lower",
        "toxicity_rate": "lower",
        "escalation_recall": "higher",
        "false_escalation_rate": "lower",
    }
    frames = _metric_frames(week)
    rows = []
    for attr, labels in _labels(week.raw).items():
        by_id = pd.Series(labels.to_numpy(), index=week.raw["interaction_id"])
        group_n = labels.value_counts()
        configured = {"language×customer_tier": "en×enterprise"}.get(
            attr, fs.reference_groups.get(attr)
        )
        ref = (
            configured
            if configured in group_n.index
            else (
                group_n[[("(missing)" not in g) for g in group_n.index]]
                .sort_index()
                .sort_values(ascending=False, kind="stable")
                .index[0]
            )
        )
        for metric, (frame, weighted) in frames.items():
            f = frame.assign(
                g=by_id.loc[frame["interaction_id"]].to_numpy(),
                wy=frame["w"] * frame["y"],
                w2=frame["w"] ** 2,
            )
            agg = f.groupby("g").agg(
                n=("y", "size"), sw=("w", "sum"), swy=("wy", "sum"), sw2=("w2", "sum")
            )
            agg["rate"] = agg["swy"] / agg["sw"]
            agg["n_eff"] = agg["sw"] ** 2 / agg["sw2"] if weighted else agg["n"]
            agg["x_eff"] = agg["rate"] * agg["n_eff"]
            agg = agg.reindex(group_n.index)
            r = agg.loc[ref]
            for g in group_n.index:
                a = agg.loc[g]
                n = 0 if pd.isna(a["n"]) else int(a["n"])
                rate, ref_rate = a["rate"], r["rate"]
                row = {
                    "attribute": attr,
                    "group_value": g,
                    "metric": metric,
                    "reference_group": ref,
                    "group_n": int(group_n[g]),
                    "n": n,
                    "rate": rate,
                    "reference_rate": ref_rate,
                    "reference_n": 0 if pd.isna(r["n"]) else int(r["n"]),
                    "disparity_diff": rate - ref_rate,
                    "disparity_ratio": (
                        rate / ref_rate if ref_rate > 0 else (1.0 if rate == 0 else math.nan)
                    ),
                    "test": "none",
                    "p_value": math.nan,
                }
                if g != ref and n > 0 and row["reference_n"] > 0:
                    row["test"], row["p_value"] = _p_by_hand(
                        a["x_eff"], a["n_eff"], r["x_eff"], r["n_eff"], weighted
                    )
                small = n < fs.min_group_size
                row["small_group"] = small
                ok_ref = row["reference_n"] >= fs.min_group_size
                row["_eligible"] = (not small) and ok_ref and g != ref and row["test"] != "none"
                ratio = row["disparity_ratio"]
                if ref_rate == 0 and rate > 0:
                    ratio = math.inf
                d = direction.get(metric, "higher")
                beyond = (not math.isnan(ratio)) and (
                    (d in ("higher", "both") and ratio < lo)
                    or (d in ("lower", "both") and ratio > hi)
                )
                row["flagged"] = (not small) and ok_ref and g != ref and beyond
                rows.append(row)
    out = pd.DataFrame(rows)
    eligible = out["_eligible"].to_numpy(bool)
    p = out.loc[eligible, "p_value"].to_numpy(float)
    m = len(p)
    order = np.argsort(p)
    adj_sorted = np.minimum.accumulate((p[order] * m / np.arange(1, m + 1))[::-1])[::-1]
    adj = np.empty(m)
    adj[order] = np.minimum(adj_sorted, 1.0)
    out["p_adjusted"] = np.nan
    out.loc[eligible, "p_adjusted"] = adj
    out["significant"] = np.where(eligible, out["p_adjusted"] < fs.alpha, None)
    return out


def test_every_number_matches_an_independent_computation() -> None:
    week = make_week(SMALL_WEEK)
    settings = settings_for(min_group_size=30)
    got = compute_fairness_audit(MONDAY, week.raw, week.sampled, week.judges, settings).table
    assert list(got.columns) == list(COLUMNS)
    assert (got["week_start"] == MONDAY).all()
    want = independent_audit(week, settings)
    per_group = got[got["direction"] != "summary"]
    assert len(per_group) == len(want)
    merged = per_group.merge(
        want,
        on=["attribute", "group_value", "metric"],
        suffixes=("", "_want"),
        validate="one_to_one",
    )
    assert len(merged) == len(want)
    for col in ("group_n", "n", "reference_n"):
        assert (merged[col].astype(int) == merged[f"{col}_want"]).all(), col
    for col in (
        "rate",
        "reference_rate",
        "disparity_diff",
        "disparity_ratio",
        "p_value",
        "p_adjusted",
    ):
        a = merged[col].to_numpy(float)
        b = merged[f"{col}_want"].to_numpy(float)
        assert np.array_equal(np.isnan(a), np.isnan(b)), col
        assert np.allclose(a[~np.isnan(a)], b[~np.isnan(b)], rtol=1e-9, atol=1e-12), col
    for col in ("reference_group", "test", "small_group", "flagged"):
        assert (merged[col] == merged[f"{col}_want"]).all(), col
    sig = merged["significant"].astype(object).where(merged["significant"].notna(), None)
    assert sig.tolist() == merged["significant_want"].tolist()
    # the fixture exercises both tests and both estimators, and has small rows
    assert {"chi2", "fisher", "chi2_kish", "fisher_kish"} <= set(got["test"])
    assert got["small_group"].any() and got["p_adjusted"].notna().sum() > 20


def test_fairlearn_summaries_match_manual_group_rates() -> None:
    week = make_week(SMALL_WEEK)
    settings = settings_for(min_group_size=30)
    got = compute_fairness_audit(MONDAY, week.raw, week.sampled, week.judges, settings).table
    tier = got[got["attribute"] == "customer_tier"].set_index(["group_value", "metric"])
    raw = week.raw
    big = [g for g, n in raw["seg_customer_tier"].value_counts().items() if n >= 30]
    assert "vip" not in big
    rates = raw.groupby("seg_customer_tier")["outcome_escalated"].mean()[big]
    dp = tier.loc[("(all groups)", "escalation_demographic_parity")]
    assert dp["disparity_diff"] == pytest.approx(rates.max() - rates.min())
    assert dp["disparity_ratio"] == pytest.approx(rates.min() / rates.max())
    assert dp["n"] == raw["seg_customer_tier"].isin(big).sum()
    needed = np.where(
        raw["outcome_escalated"],
        raw["outcome_escalation_correct"].fillna(False),
        raw["outcome_incident_missed"],
    ).astype(bool)
    frame = raw.assign(needed=needed)
    frame = frame[frame["seg_customer_tier"].isin(big)]
    tpr = frame[frame["needed"]].groupby("seg_customer_tier")["outcome_escalated"].mean()
    fpr = frame[~frame["needed"]].groupby("seg_customer_tier")["outcome_escalated"].mean()
    eo = tier.loc[("(all groups)", "escalation_equalized_odds")]
    assert eo["disparity_diff"] == pytest.approx(max(tpr.max() - tpr.min(), fpr.max() - fpr.min()))
    assert eo["disparity_ratio"] == pytest.approx(min(tpr.min() / tpr.max(), fpr.min() / fpr.max()))
    assert not eo["flagged"] and not dp["flagged"] and pd.isna(eo["p_value"])


def test_escalation_label_derivation() -> None:
    T, F, N = True, False, None
    raw = pd.DataFrame(
        {
            "outcome_escalated": pd.array([T, T, F, F, F, F, F, T, N], dtype="boolean"),
            "outcome_escalation_correct": pd.array([T, F, T, F, N, N, N, N, T], dtype="boolean"),
            "outcome_incident_missed": pd.array([F, F, F, F, T, F, N, N, F], dtype="boolean"),
        }
    )
    labelled, y_true, y_pred = escalation_labels(raw)
    assert labelled.tolist() == [T, T, T, T, T, T, F, F, F]
    # escalated+correct: needed; escalated+wrong: not needed; not escalated+correct: not
    # needed; not escalated+wrong: needed; then incident_missed decides
    assert y_true[labelled].tolist() == [T, F, F, T, T, F]
    assert y_pred[labelled].tolist() == [T, T, F, F, F, F]


def test_metricframe_rates_match_counts_and_groups_without_positives_are_null() -> None:
    codes = np.array([0, 0, 0, 0, 1, 1, 1, 2, 2])
    y_true = np.array([1, 1, 0, 0, 1, 0, 0, 0, 0], dtype=bool)
    y_pred = np.array([1, 0, 1, 0, 1, 1, 0, 1, 0], dtype=bool)
    labelled = np.ones(9, dtype=bool)
    r = escalation_rates(codes, labelled, y_true, y_pred, 3)
    assert r.positives.tolist() == [2, 1, 0] and r.negatives.tolist() == [2, 2, 2]
    assert r.recall[:2].tolist() == [0.5, 1.0] and math.isnan(r.recall[2])
    assert r.false_rate.tolist() == [0.5, 0.5, 0.5]
    assert r.true_pos.tolist() == [1, 1, 0] and r.false_pos.tolist() == [1, 1, 1]


def test_biased_week_flags_the_free_tier_with_significant_adjusted_p() -> None:
    from evalflow.config import load_settings

    settings = load_settings(DEFAULT_CONFIG)  # reference enterprise, min group 50
    week = make_week(WeekModel(tiers=BIASED_TIERS, seed=3))
    table = compute_fairness_audit(MONDAY, week.raw, week.sampled, week.judges, settings).table
    hits = table[table["flagged"] & table["significant"].fillna(False)]
    tier_hits = hits[hits["attribute"] == "customer_tier"]
    assert set(zip(tier_hits["group_value"], tier_hits["metric"], strict=True)) >= {
        ("free", "resolved_rate"),
        ("free", "override_rate"),
    }
    assert set(tier_hits["group_value"]) == {"free"}
    row = tier_hits.set_index("metric").loc["resolved_rate"]
    assert row["reference_group"] == "enterprise" and row["disparity_ratio"] < 0.8
    assert row["p_adjusted"] < 1e-6
    over = tier_hits.set_index("metric").loc["override_rate"]
    assert over["disparity_ratio"] > 1.25 and over["direction"] == "lower"
    # no other attribute carries the bias (tiers are independent of language/region)
    assert set(hits["attribute"]) <= {"customer_tier", "language×customer_tier"}
    assert (
        hits[hits["attribute"] == "language×customer_tier"]["group_value"]
        .str.endswith("×free")
        .all()
    )


def test_fair_week_flags_nothing_significant() -> None:
    from evalflow.config import load_settings

    settings = load_settings(DEFAULT_CONFIG)
    week = make_week(WeekModel(tiers=FAIR_TIERS, seed=4))
    table = compute_fairness_audit(MONDAY, week.raw, week.sampled, week.judges, settings).table
    assert table["p_adjusted"].notna().sum() > 50
    assert not (table["flagged"] & table["significant"].fillna(False)).any()
    assert not table["significant"].fillna(False).any()


def test_tiny_groups_are_reported_but_never_flagged() -> None:
    week = make_week(SMALL_WEEK)
    table = compute_fairness_audit(
        MONDAY, week.raw, week.sampled, week.judges, settings_for(min_group_size=30)
    ).table
    vip = table[(table["attribute"] == "customer_tier") & (table["group_value"] == "vip")]
    vip = vip.set_index("metric")
    assert vip.loc["resolved_rate", "group_n"] == 12
    assert vip["small_group"].all() and not vip["flagged"].any()
    assert vip["p_adjusted"].isna().all() and vip["significant"].isna().all()
    # extreme and even nominally significant, yet not flagged
    assert vip.loc["override_rate", "disparity_ratio"] > 5
    assert vip.loc["override_rate", "p_value"] < 0.001


def test_reference_group_choice() -> None:
    labels = ["(missing)", "de", "en", "es"]
    n = np.array([500, 100, 300, 300])
    assert choose_reference(labels, n, None) == 2  # largest non-missing, ties alphabetical
    assert choose_reference(labels, n, "de") == 1
    assert choose_reference(labels, n, "fr") == 2  # configured group absent: largest
    assert choose_reference(["(missing)×pro", "en×pro"], np.array([9, 1]), None) == 1
    assert choose_reference(["(missing)"], np.array([3]), None) is None


@pytest.mark.parametrize(
    "direction,rate,ref,expected",
    [
        ("higher", 0.5, 0.7, True),
        ("higher", 0.9, 0.5, False),
        ("lower", 0.2, 0.1, True),
        ("lower", 0.05, 0.1, False),
        ("both", 0.05, 0.1, True),
        ("both", 0.2, 0.1, True),
        ("both", 0.105, 0.1, False),
        ("lower", 0.1, 0.0, True),
        ("higher", 0.0, 0.0, False),
        ("summary", 0.1, 0.9, False),
    ],
)
def test_adverse_side(direction: str, rate: float, ref: float, expected: bool) -> None:
    assert adverse_beyond(direction, rate, ref, 0.8, 1.25) is expected


def test_judge_rows_need_an_ok_status_a_weight_and_the_current_day() -> None:
    week = make_week(SMALL_WEEK)
    settings = settings_for(min_group_size=30, intersections=False)
    base = compute_fairness_audit(MONDAY, week.raw, week.sampled, week.judges, settings)
    stale = week.judges.head(1).assign(day=MONDAY - dt.timedelta(days=3), passed=False)
    orphan = week.judges.head(1).assign(interaction_id="not-sampled", passed=False)
    judges = pd.concat([week.judges, stale, orphan], ignore_index=True)
    sampled = week.sampled.iloc[1:]  # the first sampled row loses its weight
    dropped_id = week.sampled["interaction_id"].iloc[0]
    n_dropped = int(
        ((week.judges["interaction_id"] == dropped_id) & (week.judges["status"] == "ok")).sum()
    )
    result = compute_fairness_audit(MONDAY, week.raw, sampled, judges, settings)
    d = result.diagnostics
    assert d["judge_rows_without_interaction"] == 2
    assert d["judge_rows_without_weight"] == n_dropped
    assert base.diagnostics["judge_ok_rows"] == int((week.judges["status"] == "ok").sum())
    assert not result.table["metric"].eq("judge_pass_rate:helpfulness").any()


def test_empty_week_and_missing_columns() -> None:
    week = make_week(SMALL_WEEK)
    settings = settings_for()
    empty = compute_fairness_audit(
        MONDAY, week.raw.head(0), week.sampled.head(0), week.judges.head(0), settings
    )
    assert empty.table.empty and list(empty.table.columns) == list(COLUMNS)
    no_region = compute_fairness_audit(
        MONDAY, week.raw.drop(columns=["seg_region"]), week.sampled, week.judges, settings
    )
    assert "region" not in set(no_region.table["attribute"])
    assert any("seg_region" in s for s in no_region.diagnostics["skipped_attributes"])


def test_unknown_outcomes_never_count_as_zero() -> None:
    week = make_week(SMALL_WEEK)
    raw = week.raw.copy()
    raw["outcome_resolved"] = raw["outcome_resolved"].astype("boolean")
    free = raw["seg_customer_tier"] == "free"
    raw.loc[free, "outcome_resolved"] = pd.NA
    table = compute_fairness_audit(
        MONDAY, raw, week.sampled, week.judges, settings_for(intersections=False)
    ).table
    row = table[
        (table["attribute"] == "customer_tier")
        & (table["group_value"] == "free")
        & (table["metric"] == "resolved_rate")
    ].iloc[0]
    assert row["n"] == 0 and pd.isna(row["rate"]) and row["test"] == "none"
    assert row["small_group"] and not row["flagged"]
