from __future__ import annotations

from pathlib import Path

import pytest

from evalflow.config import ConfigError, Settings, load_settings, segment_column
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


# -- edges of the file itself (issue #17) -------------------------------------------------


def _load_text(tmp_path: Path, text: str) -> str:
    path = tmp_path / "evalflow.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_settings(path)
    return str(err.value)


def test_config_path_that_is_a_folder_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "evalflow.yaml").mkdir()
    with pytest.raises(ConfigError, match="is a folder, not a configuration file"):
        load_settings(tmp_path / "evalflow.yaml")


@pytest.mark.parametrize("text", ["", "\n  \n", "# only a comment\n"])
def test_empty_config_file_is_an_error_not_silent_defaults(tmp_path: Path, text: str) -> None:
    assert "holds no settings" in _load_text(tmp_path, text)
    assert load_settings(tmp_path / "missing.yaml") == Settings()  # a missing file: defaults


def test_duplicated_key_is_named(tmp_path: Path) -> None:
    text = "sla:\n  latency_ms: 1000\nthresholds:\n  error_rate_max: 0.1\n  error_rate_max: 0.2\n"
    message = _load_text(tmp_path, text)
    assert "duplicate key 'error_rate_max' at line 5" in message
    top = _load_text(tmp_path, "sla: {latency_ms: 1000}\nsla: {latency_ms: 2000}\n")
    assert "duplicate key 'sla' at line 2" in top


@pytest.mark.parametrize(
    ("section", "key", "value"),
    [
        ("judges", "max_calls_per_day", True),
        ("judges", "max_calls_per_day", "200"),
        ("judges", "max_calls_per_day", 200.5),
        ("sla", "latency_ms", True),
        ("regression", "include_judge_failures", 1),
    ],
)
def test_values_are_strictly_typed(section: str, key: str, value: object) -> None:
    with pytest.raises(ConfigError) as err:
        parse_settings({section: {key: value}})
    assert f"{section}.{key}" in str(err.value)


def test_yaml_lists_still_fill_tuples_and_ints_fill_floats() -> None:
    settings = parse_settings(
        {"fairness": {"ratio_bounds": [0.7, 1.4], "intersections": [["language", "region"]]}}
    )
    assert settings.fairness.ratio_bounds == (0.7, 1.4)
    assert parse_settings({"sla": {"latency_ms": 2500}}).sla.latency_ms == 2500.0


def test_reference_group_for_an_attribute_not_audited_is_named() -> None:
    with pytest.raises(ConfigError, match=r"fairness.reference_groups has \['queue'\]"):
        parse_settings({"fairness": {"reference_groups": {"queue": "billing"}}})
    ok = parse_settings({"fairness": {"reference_groups": {"language×customer_tier": "en×pro"}}})
    assert ok.fairness.reference_groups == {"language×customer_tier": "en×pro"}


def test_segment_keys_map_to_safe_distinct_columns() -> None:
    assert segment_column("app-version") == "seg_app_version"
    assert segment_column("queue") == "seg_queue"
    assert segment_column("région") == "seg_r_gion"
    parse_settings(
        {"segments": ["queue", "app-version"], "audit_attributes": [], "sampling": {"strata": []}}
    )
    with pytest.raises(ConfigError, match="'app-version' and 'app_version' would both be column"):
        parse_settings(
            {
                "segments": ["app-version", "app_version"],
                "audit_attributes": [],
                "sampling": {"strata": []},
                "fairness": {"reference_groups": {}},
            }
        )
    with pytest.raises(ConfigError, match="quote"):
        parse_settings({"segments": ['a"b'], "audit_attributes": [], "sampling": {"strata": []}})


def test_cli_prints_config_errors_without_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from evalflow.cli import main

    monkeypatch.setenv("EVALFLOW_HOME", str(tmp_path))
    for text in ("judges: {max_calls_per_day: true}\n", "sla: {}\nsla: {}\n", ""):
        (tmp_path / "evalflow.yaml").write_text(text, encoding="utf-8")
        assert main(["run", "--start", "2026-10-05", "--end", "2026-10-05"]) == 2
        err = capsys.readouterr().err
        assert err.startswith("evalflow: ") and "Traceback" not in err
