"""Settings come from the environment with clear errors; the README documents every variable."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from hub.config import ConfigError, Settings, documented_variables, load_settings

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [*ROOT.glob("hub/**/*.py"), *ROOT.glob("web/**/*.py"), *ROOT.glob("channels/**/*.py")]


def test_every_variable_the_code_reads_is_documented_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    documented = {variable.name for variable in documented_variables()}
    read_by_code = {name for path in SOURCES for name in re.findall(r'"(HUB_[A-Z0-9_]+)"', path.read_text())}
    assert read_by_code <= documented, "declare new variables in hub.config"
    drifted = [
        variable.readme_row() for variable in documented_variables() if variable.readme_row() not in readme
    ]
    assert not drifted, "README configuration table should read:\n" + "\n".join(drifted)


def test_unset_and_empty_variables_give_the_declared_defaults(tmp_path: Path) -> None:
    unset = load_settings({"HUB_DATA_DIR": str(tmp_path)})
    empty = load_settings(
        {variable.name: "" for variable in documented_variables()} | {"HUB_DATA_DIR": str(tmp_path)}
    )
    assert unset == empty
    declared = {
        f.name: f.default
        for f in dataclasses.fields(Settings)
        if f.default is not dataclasses.MISSING and f.name != "data_dir"
    }
    assert {name: getattr(unset, name) for name in declared} == declared
    assert unset.port == 8000 and unset.trusted_proxies == ()
    assert unset.base_url == "http://127.0.0.1:8000"


def test_the_data_folder_defaults_to_var_under_the_working_directory(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert load_settings({}).data_dir == tmp_path.resolve() / "var"


def test_embedded_install_generates_and_keeps_a_secret(tmp_path: Path) -> None:
    first = load_settings({"HUB_DATA_DIR": str(tmp_path)})
    second = load_settings({"HUB_DATA_DIR": str(tmp_path)})
    assert len(first.secret_key) >= 32
    assert first.secret_key == second.secret_key
    assert (tmp_path / "secret.key").stat().st_mode & 0o077 == 0, "the secret file is private"
    assert first.embedded_database and first.embedded_redis


def test_real_servers_require_an_explicit_secret(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="HUB_SECRET_KEY is required"):
        load_settings({"HUB_DATA_DIR": str(tmp_path), "HUB_DATABASE_URL": "postgresql://db/hub"})
    with pytest.raises(ConfigError, match="at least 32 characters"):
        load_settings({"HUB_DATA_DIR": str(tmp_path), "HUB_SECRET_KEY": "short"})


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("HUB_PORT", "eighty", "HUB_PORT must be an integer"),
        ("HUB_PORT", "70000", "between 1 and 65535"),
        ("HUB_COOKIE_SECURE", "maybe", "HUB_COOKIE_SECURE must be true or false"),
        ("HUB_SLA_WARNING_LEAD_PERCENT", "100", "between 0 and 99"),
        ("HUB_SLA_WARNING_LEAD_PERCENT", "a fifth", "must be an integer"),
        (
            "HUB_SLA_WARNING_LEAD_PERCENT",
            "-1",
            "HUB_SLA_WARNING_LEAD_PERCENT must be between 0 and 99, got -1",
        ),
        ("HUB_SESSION_HOURS", "12h", "HUB_SESSION_HOURS must be an integer, got '12h'"),
    ],
)
def test_malformed_values_name_the_variable(tmp_path: Path, name: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings({"HUB_DATA_DIR": str(tmp_path), name: value})


def test_values_are_parsed(tmp_path: Path) -> None:
    settings = load_settings(
        {
            "HUB_DATA_DIR": str(tmp_path),
            "HUB_PORT": "9000",
            "HUB_COOKIE_SECURE": "yes",
            "HUB_TRUSTED_PROXIES": "10.0.0.1, 10.0.0.2",
            "HUB_BASE_URL": "https://hub.example.com/",
            "HUB_LOG_LEVEL": "debug",
        }
    )
    assert settings.port == 9000 and settings.cookie_secure
    assert settings.log_level == "DEBUG"
    assert settings.trusted_proxies == ("10.0.0.1", "10.0.0.2")
    assert settings.base_url == "https://hub.example.com"


def test_the_base_url_follows_host_and_port_unless_set(tmp_path: Path) -> None:
    settings = load_settings({"HUB_DATA_DIR": str(tmp_path), "HUB_HOST": "192.0.2.7", "HUB_PORT": "9000"})
    assert settings.base_url == "http://192.0.2.7:9000"
