"""The rollout gate, table-driven: every rule and its reason."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from evalflow.config.settings import RolloutSettings, Settings
from evalflow.kpis.stats import z_value
from evalflow.rollout.gates import ArmSummary, Metric, decide, next_phase

Z = z_value(0.95)
SETTINGS = Settings()
ROLLOUT = SETTINGS.rollout
TERMS = SETTINGS.kpis.composite


def arm(
    n: int = 5000,
    esc: float = 0.80,
    sla: float = 0.90,
    ovr: float = 0.08,
    se: float = 0.002,
    tox_judge: float = 0.0,
    tox_signal: float = 0.0,
    hal: float | None = 0.01,
    hal_ci: tuple[float, float] = (0.003, 0.03),
    version: str = "v",
) -> ArmSummary:
    metrics = {
        "volume": Metric(float(n), None, None, None, n),
        "escalation_precision": Metric(esc, se, esc - Z * se, esc + Z * se, n),
        "sla_hit_rate": Metric(sla, se, sla - Z * se, sla + Z * se, n),
        "override_rate": Metric(ovr, se, ovr - Z * se, ovr + Z * se, n),
        "toxicity_rate": Metric(tox_judge, 0.005, 0.0, tox_judge + 0.01, 300),
        "toxicity_signal_rate": Metric(tox_signal, 0.0005, 0.0, tox_signal + 0.001, n),
        "hallucination_rate": Metric(hal, 0.005, hal_ci[0], hal_ci[1], 300),
    }
    return ArmSummary(version, n, metrics)


CASES: list[tuple[str, dict[str, Any], dict[str, Any], float, str, str | None]] = [
    # id, treatment overrides, control overrides, share, decision, expected reason fragment
    ("go", {}, {}, 0.10, "GO", "non-inferior"),
    (
        "hold_min_samples_treatment",
        {"n": 150},
        {},
        0.10,
        "HOLD",
        "insufficient evidence: treatment has 150",
    ),
    ("hold_min_samples_control", {}, {"n": 20}, 0.10, "HOLD", "control has 20"),
    ("hold_override_rise", {"ovr": 0.10}, {"ovr": 0.08}, 0.25, "HOLD", "significant rise"),
    (
        "rollback_override_plus_composite",
        {"ovr": 0.12, "sla": 0.86},
        {"ovr": 0.08},
        0.5,
        "ROLLBACK",
        "together with a composite KPI breach",
    ),
    (
        "rollback_hallucination",
        {"hal": 0.12, "hal_ci": (0.08, 0.17)},
        {},
        0.25,
        "ROLLBACK",
        "lower bound above max_hallucination_rate",
    ),
    (
        "hold_hallucination_noisy",
        {"hal": 0.07, "hal_ci": (0.02, 0.20)},
        {},
        0.25,
        "HOLD",
        "but not significantly",
    ),
    ("hold_hallucination_unmeasured", {"hal": None}, {}, 0.25, "HOLD", "unmeasured"),
    (
        "rollback_large_composite_drop",
        {"esc": 0.65, "sla": 0.85},
        {},
        0.5,
        "ROLLBACK",
        "dropped significantly beyond rollback_margin",
    ),
    # A −0.061 drop whose CI (≈ −0.115 to −0.007) does not exclude the tolerated −0.02: noise
    # cannot be ruled out, so HOLD rather than ROLLBACK.
    (
        "hold_noisy_composite_drop",
        {"esc": 0.70, "sla": 0.86, "se": 0.04},
        {"se": 0.04},
        0.10,
        "HOLD",
        "not shown non-inferior",
    ),
    (
        "hold_composite_not_noninferior",
        {"se": 0.03},
        {"se": 0.03},
        0.10,
        "HOLD",
        "not shown non-inferior",
    ),
    (
        "rollback_toxicity_attributable",
        {"tox_signal": 0.001},
        {"tox_signal": 0.0},
        0.10,
        "ROLLBACK",
        "toxicity guardrail breached",
    ),
    (
        "hold_toxicity_both_arms",
        {"tox_judge": 0.01},
        {"tox_judge": 0.012},
        0.10,
        "HOLD",
        "not attributable",
    ),
]


@pytest.mark.parametrize(
    ("t_kw", "c_kw", "share", "expected", "fragment"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_gate(
    t_kw: dict[str, Any], c_kw: dict[str, Any], share: float, expected: str, fragment: str
) -> None:
    d = decide(arm(**t_kw), arm(**c_kw), share, ROLLOUT, TERMS, Z)
    assert d.decision == expected, d.reasons
    assert any(fragment in r for r in d.reasons), d.reasons
    # Reasons carry the numbers.
    assert all(any(ch.isdigit() for ch in r) for r in d.reasons)
    if expected == "GO":
        assert d.next_phase == next_phase(share, ROLLOUT.phases)
    else:
        assert d.next_phase is None


def test_go_reports_every_check_and_composite_numbers() -> None:
    d = decide(arm(esc=0.81), arm(), 0.25, ROLLOUT, TERMS, Z)
    assert d.decision == "GO" and d.next_phase == 0.5
    assert d.composite_diff == pytest.approx(0.4 * 0.01)
    assert d.composite_diff_ci_low < d.composite_diff < d.composite_diff_ci_high
    assert {c.name for c in d.checks} == {
        "evidence",
        "composite",
        "toxicity",
        "hallucination",
        "override",
    }


def test_composite_unmeasured_holds() -> None:
    t = arm()
    t = replace(
        t,
        metrics={
            k: v for k, v in t.metrics.items() if k not in ("escalation_precision", "sla_hit_rate")
        },
    )
    d = decide(t, arm(), 0.1, ROLLOUT, TERMS, Z)
    assert d.decision == "HOLD"
    assert any("composite KPI unmeasured for treatment" in r for r in d.reasons)


def test_terms_neither_arm_measures_are_dropped_not_a_null_composite() -> None:
    # Logs without an `outcome` block: no arm has escalation precision or SLA hit rate.
    def strip(a: ArmSummary) -> ArmSummary:
        gone = ("escalation_precision", "sla_hit_rate")
        return replace(a, metrics={k: v for k, v in a.metrics.items() if k not in gone})

    d = decide(strip(arm()), strip(arm()), 0.1, ROLLOUT, TERMS, Z)
    assert d.decision == "GO", d.reasons
    assert not any("composite KPI unmeasured" in r for r in d.reasons)


@pytest.mark.parametrize(
    ("share", "expected"),
    [(0.10, 0.25), (0.25, 0.5), (0.5, 1.0), (1.0, None), (0.3, 0.5), (None, None)],
)
def test_next_phase(share: float | None, expected: float | None) -> None:
    assert next_phase(share, [0.10, 0.25, 0.50, 1.0]) == expected


def test_criteria_come_from_settings() -> None:
    strict = RolloutSettings(min_samples=10_000)
    d = decide(arm(), arm(), 0.1, strict, TERMS, Z)
    assert d.decision == "HOLD"
    assert any("min_samples=10000" in r for r in d.reasons)
