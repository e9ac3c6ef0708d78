"""Settings read once from the environment.

Every knob lives here so the README's configuration table and the code cannot drift:
``tests/unit/test_config.py`` checks that each variable below is documented.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


def _int(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from None


def _bool(env: dict[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name} must be true or false, got {raw!r}")


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str | None
    redis_url: str | None
    secret_key: str
    host: str = "127.0.0.1"
    port: int = 8000
    base_url: str = "http://127.0.0.1:8000"
    cookie_secure: bool = False
    require_admin_2fa: bool = False
    session_hours: int = 12
    login_attempts_per_15min: int = 10
    attachment_max_bytes: int = 25 * 1024 * 1024
    thread_window_hours: int = 24
    reopen_window_days: int = 14
    outbox_max_attempts: int = 8
    sla_warning_lead_percent: int = 20
    trusted_proxies: tuple[str, ...] = field(default_factory=tuple)
    log_level: str = "INFO"
    default_locale: str = "zh-CN"
    default_time_zone: str = "Asia/Shanghai"

    @property
    def embedded_database(self) -> bool:
        return not self.database_url

    @property
    def embedded_redis(self) -> bool:
        return not self.redis_url

    @property
    def attachments_dir(self) -> Path:
        return self.data_dir / "attachments"


#: name -> (default shown in the README, what it does)
DOCUMENTED_VARIABLES: dict[str, tuple[str, str]] = {
    "HUB_DATA_DIR": ("./var", "Folder for the embedded servers, attachments and the generated secret."),
    "HUB_DATABASE_URL": (
        "(embedded)",
        "PostgreSQL URL; unset boots a private PostgreSQL under the data folder.",
    ),
    "HUB_REDIS_URL": ("(embedded)", "Redis URL; unset boots a private Redis under the data folder."),
    "HUB_SECRET_KEY": (
        "(generated)",
        "Signs sessions, tokens and webhooks. Required when HUB_DATABASE_URL is set; "
        "otherwise generated once into the data folder.",
    ),
    "HUB_HOST": ("127.0.0.1", "Address `hub serve` listens on."),
    "HUB_PORT": ("8000", "Port `hub serve` listens on."),
    "HUB_BASE_URL": ("http://HOST:PORT", "Public URL of the hub, used in links and callback URLs."),
    "HUB_COOKIE_SECURE": ("false", "Mark session cookies Secure (set true behind HTTPS)."),
    "HUB_REQUIRE_ADMIN_2FA": ("false", "Admins must enrol TOTP before they can use anything else."),
    "HUB_SESSION_HOURS": ("12", "Lifetime of a login session and of a login bearer token."),
    "HUB_LOGIN_ATTEMPTS_PER_15MIN": ("10", "Failed logins allowed per address and account in 15 minutes."),
    "HUB_ATTACHMENT_MAX_BYTES": ("26214400", "Largest attachment accepted (bytes)."),
    "HUB_THREAD_WINDOW_HOURS": (
        "24",
        "A message from the same contact on the same channel joins their open ticket this recent.",
    ),
    "HUB_REOPEN_WINDOW_DAYS": (
        "14",
        "A reply to a closed ticket reopens it within this many days; later it opens a linked new ticket.",
    ),
    "HUB_OUTBOX_MAX_ATTEMPTS": ("8", "Delivery attempts before a reply is marked failed."),
    "HUB_SLA_WARNING_LEAD_PERCENT": (
        "20",
        "An SLA warning fires when this share of a target's time is left (20: after 80 % of it); "
        "0 turns warnings off.",
    ),
    "HUB_TRUSTED_PROXIES": ("", "Comma-separated proxy addresses whose X-Forwarded-For is believed."),
    "HUB_LOG_LEVEL": ("INFO", "Log level."),
    "HUB_WORKER_PARENT_PID": (
        "(none)",
        "Set by `hub serve` for the worker it starts (which stops when that process is gone); not for you to set.",
    ),
}


def _secret_from_data_dir(data_dir: Path) -> str:
    """An embedded install has no operator to set a secret, so generate one and keep it."""
    path = data_dir / "secret.key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    return value


def load_settings(env: dict[str, str] | None = None) -> Settings:
    env = dict(os.environ if env is None else env)
    data_dir = Path(env.get("HUB_DATA_DIR") or "./var").resolve()
    database_url = env.get("HUB_DATABASE_URL") or None
    redis_url = env.get("HUB_REDIS_URL") or None
    secret = env.get("HUB_SECRET_KEY") or ""
    if not secret:
        if database_url:
            raise ConfigError(
                "HUB_SECRET_KEY is required when HUB_DATABASE_URL is set "
                "(every replica must sign sessions with the same key)"
            )
        secret = _secret_from_data_dir(data_dir)
    elif len(secret) < 32:
        raise ConfigError("HUB_SECRET_KEY must be at least 32 characters")
    host = env.get("HUB_HOST") or "127.0.0.1"
    port = _int(env, "HUB_PORT", 8000)
    if not 0 < port < 65536:
        raise ConfigError(f"HUB_PORT must be between 1 and 65535, got {port}")
    warning_lead = _int(env, "HUB_SLA_WARNING_LEAD_PERCENT", 20)
    if not 0 <= warning_lead <= 99:
        raise ConfigError(f"HUB_SLA_WARNING_LEAD_PERCENT must be between 0 and 99, got {warning_lead}")
    proxies = tuple(p.strip() for p in (env.get("HUB_TRUSTED_PROXIES") or "").split(",") if p.strip())
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        redis_url=redis_url,
        secret_key=secret,
        host=host,
        port=port,
        base_url=(env.get("HUB_BASE_URL") or f"http://{host}:{port}").rstrip("/"),
        cookie_secure=_bool(env, "HUB_COOKIE_SECURE", False),
        require_admin_2fa=_bool(env, "HUB_REQUIRE_ADMIN_2FA", False),
        session_hours=_int(env, "HUB_SESSION_HOURS", 12),
        login_attempts_per_15min=_int(env, "HUB_LOGIN_ATTEMPTS_PER_15MIN", 10),
        attachment_max_bytes=_int(env, "HUB_ATTACHMENT_MAX_BYTES", 25 * 1024 * 1024),
        thread_window_hours=_int(env, "HUB_THREAD_WINDOW_HOURS", 24),
        reopen_window_days=_int(env, "HUB_REOPEN_WINDOW_DAYS", 14),
        outbox_max_attempts=_int(env, "HUB_OUTBOX_MAX_ATTEMPTS", 8),
        sla_warning_lead_percent=warning_lead,
        trusted_proxies=proxies,
        log_level=(env.get("HUB_LOG_LEVEL") or "INFO").upper(),
    )
