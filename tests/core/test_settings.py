"""Settings: one table of defaults (DESIGN.md §4), then jejak.toml, then JEJAK_* env; bad values are named."""

from __future__ import annotations

import dataclasses
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

from jejak.core.errors import SettingError
from jejak.core.settings import DEFAULT_SETTINGS, SETTINGS_BY_NAME, SETTINGS_TABLE, Settings, resolve_settings
from jejak.store.project import init_project, open_project


def test_defaults_are_the_ones_design_md_promises() -> None:
    s = resolve_settings({}, env={})
    assert s.session_gap_seconds == 30 * 60
    assert s.session_max_seconds == 24 * 60 * 60
    assert s.lookback_days == 30
    assert s.conversion_events == ["Order Completed", "purchase"]
    assert s.path_transform == "exposure"
    assert s.path_transform_channel == "Direct"
    assert s.time_decay_half_life_days == 7.0
    assert (s.position_first_share, s.position_last_share) == (0.4, 0.4)
    assert s.funnel_window_days == 14
    assert s.bounce_engaged_seconds == 10
    assert s.bounce_engaged_min_views == 2
    assert s.timezone == "Asia/Jakarta"
    assert s.currency == "IDR"
    assert s.engine == "duckdb"
    assert s == DEFAULT_SETTINGS


def test_the_table_and_the_dataclass_list_the_same_settings() -> None:
    fields = [f.name for f in dataclasses.fields(Settings)]
    assert [s.name for s in SETTINGS_TABLE] == fields
    assert len(SETTINGS_BY_NAME) == len(SETTINGS_TABLE), "a setting name appears twice"


@pytest.mark.parametrize("setting", SETTINGS_TABLE, ids=lambda s: s.name)
def test_every_setting_is_documented(setting: Any) -> None:
    assert setting.help.strip().endswith("."), setting.help
    assert setting.unit.strip()
    assert isinstance(getattr(DEFAULT_SETTINGS, setting.name), type(setting.default))


def test_the_generated_template_names_every_setting_with_its_default(tmp_path: Path) -> None:
    project = init_project(tmp_path / "p")
    text = project.config_path.read_text(encoding="utf-8")
    assert tomllib.loads(text).get("settings") == {}, "every setting in the template is commented out"
    found: dict[str, Any] = {}
    for line in text.splitlines():
        match = re.match(r"^# (\w+) = (.*)$", line)
        if match and match.group(1) in SETTINGS_BY_NAME:
            # Uncommenting a line must give a valid TOML line holding the default.
            found.update(tomllib.loads(f"{match.group(1)} = {match.group(2)}"))
    assert sorted(found) == sorted(SETTINGS_BY_NAME)
    for name, value in found.items():
        assert value == SETTINGS_BY_NAME[name].default, name


def test_jejak_toml_overrides_defaults_and_env_overrides_jejak_toml(tmp_path: Path) -> None:
    root = tmp_path / "p"
    init_project(root)
    (root / "jejak.toml").write_text(
        '[settings]\nsession_gap_seconds = 600\nlookback_days = 7\ntimezone = "Asia/Makassar"\n', encoding="utf-8"
    )
    env = {"JEJAK_LOOKBACK_DAYS": "14", "JEJAK_CONVERSION_EVENTS": "Order Completed, lead_form"}
    settings = open_project(root, env=env).settings
    assert settings.session_gap_seconds == 600  # jejak.toml
    assert settings.lookback_days == 14  # env beats jejak.toml
    assert settings.timezone == "Asia/Makassar"
    assert settings.conversion_events == ["Order Completed", "lead_form"]
    assert settings.session_max_seconds == 24 * 3600  # untouched default
    assert open_project(root, env={}).settings.lookback_days == 7


def test_env_list_may_be_json() -> None:
    settings = resolve_settings({}, env={"JEJAK_CONVERSION_EVENTS": '["a, b", "c"]'})
    assert settings.conversion_events == ["a, b", "c"]


def test_replace_checks_the_new_value() -> None:
    assert DEFAULT_SETTINGS.replace(lookback_days=90).lookback_days == 90
    with pytest.raises(SettingError, match="lookback_days"):
        DEFAULT_SETTINGS.replace(lookback_days=0)


@pytest.mark.parametrize(
    ("name", "value", "why"),
    [
        ("session_gap_seconds", "setengah jam", "Expected int"),
        ("session_gap_seconds", 0, "at least 1"),
        ("lookback_days", 366, "at most 365"),
        ("lookback_days", 1.5, "Expected int"),
        ("lookback_days", True, "Expected int"),
        ("engine", "sqlite", "Expected one of 'duckdb', 'spark'"),
        ("path_transform", "shortest", "Expected one of"),
        ("conversion_events", [1, 2], "Expected list"),
        ("timezone", 7, "Expected str"),
        ("position_first_share", "banyak", "Expected float"),
        # TOML writes these; nan passed every bound (each comparison with nan is false) and made credits nan.
        ("time_decay_half_life_days", float("nan"), "Expected float"),
        ("position_first_share", float("inf"), "Expected float"),
        # TOML's integers have any size: this gap stopped the build as a bug (an overflow in the engine).
        ("session_gap_seconds", 10**20, "at most 2147483647"),
        ("path_max_touches", 2**63, "at most 2147483647"),
        # Each resample holds a copy of the paths' counts: 10**11 of them asked for 5 TiB.
        ("attribution_resamples", 10**11, "at most 2000"),
        # DuckDB starts each thread it is given: 100000 stopped a three-row build on memory.
        ("duckdb_threads", 100_000, "at most 1024"),
    ],
)
def test_a_bad_value_in_jejak_toml_names_the_setting_and_the_value(name: str, value: Any, why: str) -> None:
    with pytest.raises(SettingError) as caught:
        resolve_settings({"settings": {name: value}}, env={})
    message = str(caught.value)
    assert f"'{name}'" in message
    assert repr(value) in message
    assert why in message
    assert "jejak.toml" in message
    assert caught.value.code == "bad_setting"


def test_a_bad_env_value_names_the_variable() -> None:
    with pytest.raises(SettingError) as caught:
        resolve_settings({"settings": {"top_n": 20}}, env={"JEJAK_TOP_N": "sepuluh"})
    assert "'top_n'" in str(caught.value)
    assert "'sepuluh'" in str(caught.value)
    assert "JEJAK_TOP_N" in str(caught.value)


def test_an_unknown_setting_name_is_refused_and_named() -> None:
    with pytest.raises(SettingError) as caught:
        resolve_settings({"settings": {"session_gap_minutes": 30}}, env={})
    assert "session_gap_minutes" in str(caught.value)
    assert "session_gap_seconds" in str(caught.value), "the message lists the known settings"


def test_position_shares_may_not_exceed_one_together() -> None:
    with pytest.raises(SettingError, match="position_first_share"):
        resolve_settings({"settings": {"position_first_share": 0.7, "position_last_share": 0.4}}, env={})


def test_a_broken_jejak_toml_is_a_setting_error(tmp_path: Path) -> None:
    root = tmp_path / "p"
    init_project(root)
    (root / "jejak.toml").write_text("[settings\nlookback_days = 7\n", encoding="utf-8")
    with pytest.raises(SettingError, match=r"jejak\.toml"):
        open_project(root, env={})


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ("[settings]\nlookback_days = 7\n".encode("utf-16"), "is not UTF-8 text"),  # Notepad's "Unicode"
        (("x = " + "[" * 3000 + "]" * 3000 + "\n").encode(), "is nested too deeply"),
    ],
    ids=["utf-16", "deep"],
)
def test_a_jejak_toml_that_is_no_utf8_or_too_deep_is_a_setting_error_not_a_crash(
    tmp_path: Path, content: bytes, says: str
) -> None:
    # Both stopped every command as a bug: the parser's errors for them are no TOMLDecodeError.
    root = tmp_path / "p"
    init_project(root)
    (root / "jejak.toml").write_bytes(content)
    with pytest.raises(SettingError, match=rf"jejak\.toml {says}"):
        open_project(root, env={})


def test_a_nul_in_a_text_setting_is_refused_by_name() -> None:
    # A NUL ends a text in DuckDB's SQL: this conversion event stopped every build as a bug.
    for config, env in (
        ({"settings": {"conversion_events": ["Order Completed", "Order\x00"]}}, {}),
        ({}, {"JEJAK_CONVERSION_EVENTS": '["Order Completed", "Order\\u0000"]'}),  # JSON writes one too
        ({"settings": {"path_transform_channel": "Direct\x00"}}, {}),
    ):
        with pytest.raises(SettingError, match=r"holds a NUL character \(\\x00, at character"):
            resolve_settings(config, env=env)


def test_a_nul_anywhere_in_jejak_toml_is_refused_with_its_key(tmp_path: Path) -> None:
    # A channel rule's name or pattern with TOML's "\u0000" stopped every build as a bug; so would a profile's.
    root = tmp_path / "p"
    init_project(root)
    with (root / "jejak.toml").open("a", encoding="utf-8") as config:
        config.write('\n[[channels.prepend]]\nname = "Reseller"\nmatch = [{ source = "^reseller\\u0000$" }]\n')
    with pytest.raises(SettingError, match=r"jejak\.toml channels\.prepend\[1\]\.match\[1\]\.source holds a NUL"):
        open_project(root, env={})


@pytest.mark.parametrize("line", ["settings = 3", "import = 3", 'spend = ["gads"]'])
def test_a_section_written_as_a_value_is_refused_by_name(tmp_path: Path, line: str) -> None:
    # Each stopped every command as a bug ('int' object has no attribute 'get').
    root = tmp_path / "p"
    init_project(root)
    (root / "jejak.toml").write_text(f"{line}\n", encoding="utf-8")
    section = line.split()[0]
    with pytest.raises(
        SettingError, match=rf"jejak\.toml: {section} is .*, where jejak reads a table: write \[{section}\]"
    ):
        open_project(root, env={})


def test_an_unknown_timezone_is_refused_by_name() -> None:
    try:
        resolve_settings({"settings": {"timezone": "Asia/Jakrta"}}, env={})
    except SettingError as error:
        assert "'timezone'" in str(error) and "Asia/Jakrta" in str(error)
    else:
        raise AssertionError("timezone = 'Asia/Jakrta' was accepted")


@pytest.mark.parametrize("master", ["local[2]", "local", "local[*]", "local[4,2]", "spark://10.0.0.5:7077", "yarn"])
def test_a_spark_master_spark_starts_with_is_taken(master: str) -> None:
    assert resolve_settings({"settings": {"spark_master": master}}, env={}).spark_master == master


@pytest.mark.parametrize("master", ["junk://", "local[0]", "local[2", "lokal[2]", ""])
def test_a_spark_master_spark_would_not_start_with_is_refused_by_name(master: str) -> None:
    # Spark said why only on Java's side; jejak saw its gateway exit and stopped as a bug.
    with pytest.raises(SettingError, match=r"'spark_master' has value .*no Spark master URL\. Use local\[N\]"):
        resolve_settings({"settings": {"spark_master": master}}, env={})
