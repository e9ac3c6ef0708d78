"""Settings come from the environment with clear errors; the README documents every variable."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hub.config import DOCUMENTED_VARIABLES, ConfigError, load_settings

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [*ROOT.glob("hub/**/*.py"), *ROOT.glob("web/**/*.py"), *ROOT.glob("channels/**/*.py")]


def test_every_variable_the_code_reads_is_documented_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    read_by_code = {name for path in SOURCES for name in re.findall(r'"(HUB_[A-Z0-9_]+)"', path.read_text())}
    assert read_by_code <= set(DOCUMENTED_VARIABLES), "add new variables to DOCUMENTED_VARIABLES"
    missing = [name for name in DOCUMENTED_VARIABLES if f"`{name}`" not in readme]
    assert not missing, f"README configuration table lacks {missing}"


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
        }
    )
    assert settings.port == 9000 and settings.cookie_secure
    assert settings.trusted_proxies == ("10.0.0.1", "10.0.0.2")
    assert settings.base_url == "https://hub.example.com"
