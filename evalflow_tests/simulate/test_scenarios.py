"""Each scenario's injected effect is really in the data, and only where its truth says."""

from __future__ import annotations

import datetime as dt
import functools
import re

import numpy as np
import pandas as pd
import pytest

from evalflow.simulate import PHASES, SCENARIOS, generate_day
from evalflow.simulate.kb import FACTS, THEME_NAME
from evalflow.simulate.scenarios import phase_start, traffic_share

START = dt.date(2026, 10, 5)
DAYS = 10
PER_DAY = 900
ONSET = 6  # round(0.6 * 10)


@functools.cache
def period(scenario: str, per_day: int = PER_DAY, days: int = DAYS, seed: int = 21) -> pd.DataFrame:
    frames = [
        generate_day(
            START + dt.timedelta(days=i),
            per_day,
            seed,
            scenario,
            start=START,
            days=days,
            layout="raw",
            with_truth=True,
        ).assign(day_index=i)
        for i in range(days)
    ]
    return pd.concat(frames, ignore_index=True)


def incidents(scenario: str, days: int = DAYS) -> list:
    return SCENARIOS[scenario].incidents(days)


def rate(df: pd.DataFrame, col: str) -> float:
    return float(df[col].astype(float).mean())


def test_rollout_phases_follow_quarters() -> None:
    assert [traffic_share(i, 28) for i in (0, 6, 7, 13, 14, 20, 21, 27)] == [
        0.10,
        0.10,
        0.25,
        0.25,
        0.50,
        0.50,
        1.0,
        1.0,
    ]
    df = period("quiet")
    for i, day in df.groupby("day_index"):
        share = traffic_share(i, DAYS)
        assert (day["traffic_share"] == share).all()
        treated = (day["rollout_arm"] == "treatment").mean()
        if share == 1.0:
            assert treated == 1.0 and (day["model_version"] == "copilot-v2").all()
        else:
            assert abs(treated - share) < 0.12, (i, treated, share)
    assert sorted(df["traffic_share"].unique()) == list(PHASES)


def test_users_keep_their_attributes_and_arm_is_sticky() -> None:
    df = period("quiet")
    per_user = df.groupby("user_id")[["seg_region", "seg_language", "seg_customer_tier"]].nunique()
    assert (per_user == 1).all().all()
    # A user once in treatment stays there as the share grows.
    first_treated = df[df.rollout_arm == "treatment"].groupby("user_id")["day_index"].min()
    later = df.merge(first_treated.rename("since"), left_on="user_id", right_index=True)
    assert (later.loc[later.day_index >= later.since, "rollout_arm"] == "treatment").all()


def test_conversations_are_multi_turn_with_follow_ups() -> None:
    df = period("quiet")
    turns = df.groupby("conversation_id")["turn"].agg(["min", "max", "count"])
    assert (turns["min"] == 1).all() and (turns["max"] == turns["count"]).all()
    assert (turns["count"] > 1).mean() > 0.2
    ordered = df.sort_values(["conversation_id", "turn"])
    assert (
        ordered.groupby("conversation_id")["timestamp"]
        .apply(lambda s: s.is_monotonic_increasing)
        .all()
    )
    assert ordered.groupby("conversation_id")["seg_queue"].nunique().max() == 1


def test_quiet_is_healthy() -> None:
    df = period("quiet")
    assert not df.truth_toxic.any() and not df.truth_pii.any() and not df.truth_biased.any()
    assert incidents("quiet") == []
    assert 0.008 <= rate(df, "truth_hallucinated") <= 0.03
    by_queue = df.groupby("seg_queue")["truth_hallucinated"].mean()
    assert by_queue.max() < 0.04
    shared = df[df.traffic_share < 1.0]
    arm = shared.groupby("rollout_arm")[
        ["outcome_analyst_override", "truth_hallucinated", "outcome_incident_missed"]
    ].mean()
    assert (
        arm.loc["treatment", "outcome_analyst_override"]
        <= arm.loc["control", "outcome_analyst_override"] * 1.25
    )
    assert (df.seg_customer_tier == "free").any()
    tier = df.groupby("seg_customer_tier")["outcome_resolved"].mean()
    assert tier.max() - tier.min() < 0.06


def test_answers_are_grounded_or_contradict_their_context() -> None:
    df = period("quiet")
    nums = re.compile(r"\d+")

    def foreign_numbers(row: pd.Series) -> set[str]:
        context = " ".join(row["context"])
        return set(nums.findall(row["response"])) - set(nums.findall(context))

    good = df[~df.truth_hallucinated & ~df.truth_refusal & ~df.truth_error]
    assert good.apply(foreign_numbers, axis=1).map(len).eq(0).all()
    hal = df[df.truth_hallucinated & df.truth_theme.ne(THEME_NAME)]
    assert len(hal) > 50
    assert hal.apply(foreign_numbers, axis=1).map(len).gt(0).mean() > 0.85
    errors = df[df.truth_error]
    assert (errors["response"] == "").all() and errors["error"].notna().all()
    assert (df.loc[~df.truth_error, "response"] != "").all()
    # Every language is answered in its own language, grounded in its own KB passages.
    de = df[(df.seg_language == "de") & ~df.truth_error & ~df.truth_refusal]
    passages_de = {f.title["de"] for f in FACTS}
    assert de["context"].map(lambda c: any(p.split(".")[0] in passages_de for p in c)).all()


def test_feedback_and_outcomes_follow_quality() -> None:
    df = period("quiet")
    bad = df.truth_hallucinated | df.truth_refusal | df.truth_error
    rated = df.feedback_rating.notna()
    down = df.feedback_rating.eq("down")
    assert down[bad & rated].mean() > 3 * down[~bad & rated].mean()
    assert (
        df.loc[bad, "outcome_analyst_override"].mean()
        > 3 * df.loc[~bad, "outcome_analyst_override"].mean()
    )
    assert df.loc[~bad, "feedback_copied"].mean() > df.loc[bad, "feedback_copied"].mean()
    assert df.loc[~bad, "outcome_resolved"].mean() > df.loc[bad, "outcome_resolved"].mean() + 0.2
    sla = df.groupby("seg_urgency")["outcome_sla_met"].mean()
    assert sla["critical"] < sla["low"] and df.outcome_sla_met.mean() > 0.9
    assert df.feedback_comment.notna().any()
    assert (df.outcome_incident_missed <= ~df.outcome_escalated).all()
    lat = df.latency_ms
    assert lat.median() < lat.mean() < lat.quantile(0.99)  # right-skewed (lognormal)
    # Email cannot observe copy/edit/retry: unknown, not False.
    assert df.loc[df.seg_channel.eq("email"), "feedback_copied"].isna().all()
    assert df.loc[df.seg_channel.ne("email"), "feedback_copied"].notna().all()


def test_weekends_are_quieter() -> None:
    df = period("quiet")
    per_day = df.groupby("day")["interaction_id"].count()
    weekday = [d for d in per_day.index if pd.Timestamp(d).weekday() < 5]
    weekend = [d for d in per_day.index if pd.Timestamp(d).weekday() >= 5]
    assert per_day[weekend].mean() < 0.8 * per_day[weekday].mean()
    assert abs(per_day.mean() / PER_DAY - 1.0) < 0.15


def test_hallucination_spike_hits_billing_after_onset() -> None:
    df = period("hallucination_spike")
    (inc,) = incidents("hallucination_spike")
    assert (inc.start_day, inc.end_day, inc.segment_value) == (ONSET, DAYS - 1, "billing")
    billing = df[df.seg_queue == "billing"]
    before = rate(billing[billing.day_index < ONSET], "truth_hallucinated")
    after = rate(billing[billing.day_index >= ONSET], "truth_hallucinated")
    assert before < 0.04 and 0.18 < after < 0.35
    others = df[(df.seg_queue != "billing") & (df.day_index >= ONSET)]
    assert rate(others, "truth_hallucinated") < 0.04


def test_toxicity_burst_is_two_days_of_spanish() -> None:
    df = period("toxicity_burst", per_day=1500)
    (inc,) = incidents("toxicity_burst")
    window = df.day_index.between(inc.start_day, inc.end_day)
    assert inc.end_day - inc.start_day == 1
    assert not df.loc[~window, "truth_toxic"].any()
    tox = df[df.truth_toxic]
    assert (tox.seg_language == "es").all() and len(tox) >= 5
    share = rate(df[window & (df.seg_language == "es")], "truth_toxic")
    assert 0.01 < share < 0.06
    assert tox.response.str.contains("estúpid|idiota|imbécil").all()


def test_rollout_regression_starts_at_half_traffic() -> None:
    df = period("rollout_regression", per_day=1500)
    start = phase_start(2, DAYS)
    assert {i.start_day for i in incidents("rollout_regression")} == {start}
    shared = df[df.traffic_share < 1.0]
    early, late = shared[shared.day_index < start], shared[shared.day_index >= start]

    def ratio(part: pd.DataFrame, col: str) -> float:
        arm = part.groupby("rollout_arm")[col].mean()
        return float(arm["treatment"] / arm["control"])

    assert ratio(early, "outcome_analyst_override") < 1.4
    assert ratio(late, "outcome_analyst_override") > 2.2
    assert ratio(late, "outcome_incident_missed") > 2.5
    esc = late[late.outcome_escalated]
    precision = esc.groupby("rollout_arm")["outcome_escalation_correct"].mean()
    assert precision["treatment"] < precision["control"] - 0.1


def test_new_failure_theme_appears_at_onset() -> None:
    df = period("new_failure_theme")
    themed = df.truth_theme.eq(THEME_NAME)
    assert not themed[df.day_index < ONSET].any()
    share = themed[df.day_index >= ONSET].mean()
    assert 0.04 < share < 0.09
    rows = df[themed]
    assert rows["query"].str.contains("loyalty|fidelidad|Treuepunkte|fidélité").all()
    assert rows.seg_queue.isin(["account", "billing"]).all()
    assert rate(rows, "truth_hallucinated") > 0.6
    rated = rows[rows.feedback_rating.notna()]
    assert (rated.feedback_rating == "down").mean() > 0.6
    comments = rows.feedback_comment.dropna()
    assert (
        len(comments) > 5
        and comments.str.contains("loyalty|fidelidad|Treuepunkte|fidélité").mean() > 0.8
    )
    assert rows.feedback_retried.mean() > 3 * df[~themed].feedback_retried.mean()


def test_bias_disadvantages_free_tier_throughout() -> None:
    df = period("bias")
    assert all(
        i.segment_key == "customer_tier" and i.segment_value == "free" for i in incidents("bias")
    )
    assert (df.truth_biased == (df.seg_customer_tier == "free")).all()
    free, paid = df[df.seg_customer_tier == "free"], df[df.seg_customer_tier != "free"]
    assert rate(free, "outcome_resolved") < rate(paid, "outcome_resolved") - 0.1
    assert rate(free, "outcome_analyst_override") > 1.5 * rate(paid, "outcome_analyst_override")
    assert rate(free, "truth_hallucinated") > 1.8 * rate(paid, "truth_hallucinated")
    down = df.feedback_rating.eq("down")
    assert down[free.index].mean() > 1.5 * down[paid.index].mean()
    first, last = df[df.day_index < 3], df[df.day_index >= DAYS - 3]
    for part in (first, last):  # systematic: present at the start and at the end
        assert (
            rate(part[part.seg_customer_tier == "free"], "outcome_resolved")
            < rate(part[part.seg_customer_tier != "free"], "outcome_resolved") - 0.08
        )


def test_input_drift_shifts_mix_and_length() -> None:
    df = period("input_drift")
    before, after = df[df.day_index < ONSET], df[df.day_index >= ONSET]
    assert before.seg_channel.eq("web").mean() > 0.15 > 0.08 > after.seg_channel.eq("web").mean()
    assert after.seg_queue.eq("outage").mean() > 2 * before.seg_queue.eq("outage").mean()
    ratio = after["query"].str.len().mean() / before["query"].str.len().mean()
    assert 1.7 < ratio < 2.6
    assert not df.truth_toxic.any()


def test_pii_only_where_injected() -> None:
    df = period("pii_leak", per_day=1500)
    (inc,) = incidents("pii_leak")
    leaked = df[df.truth_pii]
    assert len(leaked) > 0 and (leaked.day_index == inc.start_day).all()
    assert (leaked.seg_queue == "account").all()
    assert leaked.response.str.contains(r"@example\.|4111 1111").all()
    email = re.compile(r"[\w.]+@[\w.]+\.\w+")
    clean = df[~df.truth_pii]
    assert not clean.response.str.contains(email).any()
    assert not clean["query"].str.contains(email).any()


def test_demo_combines_incidents_at_different_times() -> None:
    incs = incidents("demo", 28)
    starts = {}
    for inc in incs:
        starts.setdefault(inc.kind, inc.start_day)
    assert set(starts) == {
        "bias",
        "toxicity_burst",
        "new_failure_theme",
        "rollout_regression",
        "hallucination_spike",
    }
    assert len(set(starts.values())) == 5
    assert starts["rollout_regression"] == phase_start(2, 28) == 14
    df = period("demo")
    assert df.truth_toxic.any() and df.truth_theme.eq(THEME_NAME).any()


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_every_scenario_generates_and_truth_columns_are_typed(scenario: str) -> None:
    df = generate_day(
        START + dt.timedelta(days=5), 200, 3, scenario, start=START, days=DAYS, with_truth=True
    )
    assert len(df) > 100
    for col in (
        "truth_hallucinated",
        "truth_toxic",
        "truth_pii",
        "truth_refusal",
        "truth_biased",
        "truth_error",
    ):
        assert df[col].dtype == bool
    assert set(df.truth_theme.dropna()) <= {
        "hallucinated_policy",
        "refusal",
        "toxic_reply",
        "pii_leak",
        "app_error",
        THEME_NAME,
    }
    assert df["interaction_id"].is_unique


def test_generate_day_is_deterministic_and_raw_layout_matches_the_table_contract() -> None:
    a = generate_day(START, 300, 9, "demo", layout="raw")
    b = generate_day(START, 300, 9, "demo", layout="raw")
    pd.testing.assert_frame_equal(a, b)
    expected = [
        "day",
        "interaction_id",
        "timestamp",
        "query",
        "response",
        "conversation_id",
        "turn",
        "user_id",
        "model_version",
        "prompt_version",
        "rollout_arm",
        "traffic_share",
        "segment_json",
        "seg_queue",
        "seg_urgency",
        "seg_region",
        "seg_language",
        "seg_channel",
        "seg_customer_tier",
        "context",
        "latency_ms",
        "tokens_in",
        "tokens_out",
        "cost_usd",
        "feedback_rating",
        "feedback_comment",
        "feedback_copied",
        "feedback_edited",
        "feedback_retried",
        "outcome_escalated",
        "outcome_escalation_correct",
        "outcome_analyst_override",
        "outcome_resolved",
        "outcome_sla_met",
        "outcome_incident_missed",
        "outcome_resolution_minutes",
        "error",
        "extra_json",
        "source_file",
        "source_line",
    ]
    assert list(a.columns) == expected
    assert (pd.to_datetime(a["day"]) == pd.Timestamp(START)).all()
    assert a["timestamp"].dt.tz is None and np.issubdtype(a["timestamp"].dtype, np.datetime64)
    with pytest.raises(ValueError):
        generate_day(START, 10, 1, "no_such_scenario")
    with pytest.raises(ValueError):
        generate_day(START - dt.timedelta(days=1), 10, 1, "quiet", start=START)
