from __future__ import annotations

from pathlib import Path

import pytest

from evalflow.config import ConfigError, load_settings
from evalflow.config.settings import parse_settings

REPO = Path(__file__).resolve().parents[2]


def test_committed_default_config_is_valid() -> None:
    settings = load_settings(REPO / "data" / "evalflow.yaml")
    assert settings.thresholds.hallucination_rate_max == 0.05
    assert abs(sum(t.weight for t in settings.kpis.composite) - 1.0) < 1e-9
    assert settings.fairness.reference_groups["language"] == "en"


def test_unknown_key_is_named() -> None:
    with pytest.raises(ConfigError) as err:
        parse_settings({"thresholds": {"halucination_rate_max": 0.1}})
    assert "thresholds.halucination_rate_max" in str(err.value)
    assert "unknown key" in str(err.value)


def test_bad_value_is_named() -> None:
    with pytest.raises(ConfigError) as err:
        parse_settings({"sampling": {"daily_budget_rows": 0}, "judges": {"backend": "gpt"}})
    text = str(err.value)
    assert "sampling.daily_budget_rows" in text
    assert "judges.backend" in text


def test_weights_must_sum_to_one() -> None:
    with pytest.raises(ConfigError, match=r"sum to 1\.0"):
        parse_settings({"kpis": {"composite": [{"metric": "sla_hit_rate", "weight": 0.5}]}})


def test_audit_attributes_must_be_segments() -> None:
    with pytest.raises(ConfigError, match="audit_attributes"):
        parse_settings(
            {
                "segments": ["queue"],
                "audit_attributes": ["language"],
                "sampling": {"strata": ["queue"]},
            }
        )


def test_unparseable_yaml_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "evalflow.yaml"
    bad.write_text("segments: [queue\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="cannot parse"):
        load_settings(bad)


def test_env_overrides_judge(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVALFLOW_JUDGE", "openai")
    monkeypatch.setenv("EVALFLOW_JUDGE_MODEL", "local-model")
    settings = parse_settings({})
    assert settings.judges.backend == "openai"
    assert settings.judges.model == "local-model"
    monkeypatch.setenv("EVALFLOW_JUDGE", "nonsense")
    with pytest.raises(ConfigError, match="EVALFLOW_JUDGE"):
        parse_settings({})


def test_alert_channel_requirements() -> None:
    with pytest.raises(ConfigError, match="webhook channel needs url"):
        parse_settings({"alerts": {"channels": [{"type": "webhook"}]}})
