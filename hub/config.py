"""Settings read once from the environment.

Each setting is declared once, as a field of ``Settings`` carrying its variable, default and
description: the dataclass default, the parsing in ``load_settings`` and the README's configuration
table (checked row by row by ``tests/unit/test_config.py``) all come from that one declaration.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, get_type_hints


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


@dataclass(frozen=True)
class Variable:
    """An environment variable as the README documents it."""

    name: str
    shown_default: str
    description: str

    def readme_row(self) -> str:
        return f"| `{self.name}` | {self.shown_default} | {self.description} |"


#: A check returns what is wrong with a value (completed to a sentence naming the variable), or None.
Check = Callable[[Any], str | None]
#: Computes a setting left unset from the settings declared before it.
Fallback = Callable[[Mapping[str, Any]], Any]


_DECLARATION = "hub.config"


@dataclass(frozen=True)
class _Declaration:
    """How one ``Settings`` field is read; kept in the field's metadata so it sits next to its default."""

    name: str
    description: str
    shown: str | None
    fallback: Fallback | None
    check: Check | None
    normalise: Callable[[Any], Any] | None


def _env(
    name: str,
    description: str,
    *,
    shown: str | None = None,
    fallback: Fallback | None = None,
    check: Check | None = None,
    normalise: Callable[[Any], Any] | None = None,
) -> dict[str, _Declaration]:
    """Field metadata binding a ``Settings`` field to its environment variable.

    A field has either a ``default`` (used when the variable is unset) or a ``fallback`` computed at
    load time; the latter stays required for anyone building ``Settings`` by hand, as no constant
    would be right without the environment.
    """
    assert fallback is None or shown is not None, f"{name}: say in words what the fallback gives"
    return {_DECLARATION: _Declaration(name, description, shown, fallback, check, normalise)}


def _shown(default: Any) -> str:
    if isinstance(default, bool):
        return "`true`" if default else "`false`"
    if default is None or default == ():
        return "(none)"
    return f"`{default}`"


def _between(low: int, high: int) -> Check:
    return lambda value: None if low <= value <= high else f"must be between {low} and {high}, got {value}"


def _at_least_characters(count: int) -> Check:
    """Never echoes the value: it is a secret."""
    return lambda value: None if len(value) >= count else f"must be at least {count} characters"


def _address_url(earlier: Mapping[str, Any]) -> str:
    return f"http://{earlier['host']}:{earlier['port']}"


def _secret_from_data_dir(earlier: Mapping[str, Any]) -> str:
    """An embedded install has no operator to set a secret, so generate one and keep it.

    Replicas on real servers cannot share a generated file, so there the secret must be set.
    """
    if earlier["database_url"]:
        raise ConfigError(
            "HUB_SECRET_KEY is required when HUB_DATABASE_URL is set "
            "(every replica must sign sessions with the same key)"
        )
    data_dir: Path = earlier["data_dir"]
    path = data_dir / "secret.key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    return value


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Fields are read in this order; a fallback sees only the fields above it."""

    data_dir: Path = field(
        default=Path("var"),
        metadata=_env(
            "HUB_DATA_DIR",
            "Folder for the embedded servers, attachments and the generated secret.",
            shown="`./var`",
            normalise=Path.resolve,
        ),
    )
    database_url: str | None = field(
        default=None,
        metadata=_env(
            "HUB_DATABASE_URL",
            "PostgreSQL URL (`postgresql://user:pass@host/db`); "
            "unset boots a private PostgreSQL under the data folder.",
            shown="(embedded)",
        ),
    )
    redis_url: str | None = field(
        default=None,
        metadata=_env(
            "HUB_REDIS_URL",
            "Redis URL (`redis://host:6379/0`); unset boots a private Redis under the data folder.",
            shown="(embedded)",
        ),
    )
    secret_key: str = field(
        metadata=_env(
            "HUB_SECRET_KEY",
            "Signs sessions, tokens and webhooks; 32+ characters. Required when `HUB_DATABASE_URL` is set; "
            "otherwise generated once into the data folder.",
            shown="(generated)",
            fallback=_secret_from_data_dir,
            check=_at_least_characters(32),
        )
    )
    host: str = field(default="127.0.0.1", metadata=_env("HUB_HOST", "Address `hub serve` listens on."))
    port: int = field(
        default=8000, metadata=_env("HUB_PORT", "Port `hub serve` listens on.", check=_between(1, 65535))
    )
    base_url: str = field(
        metadata=_env(
            "HUB_BASE_URL",
            "Public URL of the hub, used in links and callback URLs.",
            shown="`http://HOST:PORT`",
            fallback=_address_url,
            normalise=lambda url: url.rstrip("/"),
        )
    )
    cookie_secure: bool = field(
        default=False,
        metadata=_env("HUB_COOKIE_SECURE", "Mark session cookies Secure (set true behind HTTPS)."),
    )
    require_admin_2fa: bool = field(
        default=False,
        metadata=_env("HUB_REQUIRE_ADMIN_2FA", "Admins must enrol TOTP before they can use anything else."),
    )
    session_hours: int = field(
        default=12,
        metadata=_env("HUB_SESSION_HOURS", "Lifetime of a login session and of a login bearer token."),
    )
    login_attempts_per_15min: int = field(
        default=10,
        metadata=_env(
            "HUB_LOGIN_ATTEMPTS_PER_15MIN", "Failed logins allowed per address and account in 15 minutes."
        ),
    )
    attachment_max_bytes: int = field(
        default=25 * 1024 * 1024,
        metadata=_env("HUB_ATTACHMENT_MAX_BYTES", "Largest attachment accepted (bytes)."),
    )
    thread_window_hours: int = field(
        default=24,
        metadata=_env(
            "HUB_THREAD_WINDOW_HOURS",
            "A message from the same contact on the same channel joins their open ticket this recent.",
        ),
    )
    reopen_window_days: int = field(
        default=14,
        metadata=_env(
            "HUB_REOPEN_WINDOW_DAYS",
            "A reply to a closed ticket reopens it within this many days; later it opens a linked new ticket.",
        ),
    )
    outbox_max_attempts: int = field(
        default=8,
        metadata=_env("HUB_OUTBOX_MAX_ATTEMPTS", "Delivery attempts before a reply is marked failed."),
    )
    sla_warning_lead_percent: int = field(
        default=20,
        metadata=_env(
            "HUB_SLA_WARNING_LEAD_PERCENT",
            "An SLA warning fires when this share of a target's time is left (20: after 80 % of it, "
            "so 3 business minutes warn after 2.4 and one business day after 6.4 working hours); "
            "0 turns warnings off.",
            check=_between(0, 99),
        ),
    )
    trusted_proxies: tuple[str, ...] = field(
        default=(),
        metadata=_env(
            "HUB_TRUSTED_PROXIES", "Comma-separated proxy addresses whose `X-Forwarded-For` is believed."
        ),
    )
    log_level: str = field(default="INFO", metadata=_env("HUB_LOG_LEVEL", "Log level.", normalise=str.upper))
    playbooks_dir: str | None = field(
        default=None,
        metadata=_env(
            "HUB_PLAYBOOKS_DIR",
            "Folder of the company's own playbooks and snippets (YAML), loaded after the shipped library; "
            "one with a shipped playbook's id replaces it.",
        ),
    )

    @property
    def embedded_database(self) -> bool:
        return not self.database_url

    @property
    def embedded_redis(self) -> bool:
        return not self.redis_url

    @property
    def attachments_dir(self) -> Path:
        return self.data_dir / "attachments"


#: Read outside ``Settings`` (by the process that owns the variable), documented all the same.
WORKER_PARENT_PID = Variable(
    "HUB_WORKER_PARENT_PID",
    "(none)",
    "Set by `hub serve` for the worker it starts as its child (the worker stops when that process is gone); "
    "not for you to set.",
)


def documented_variables() -> list[Variable]:
    """Every variable the hub reads, in the README table's order."""
    declared = []
    for setting in fields(Settings):
        declaration: _Declaration = setting.metadata[_DECLARATION]
        shown = declaration.shown if declaration.shown is not None else _shown(setting.default)
        declared.append(Variable(declaration.name, shown, declaration.description))
    return [*declared, WORKER_PARENT_PID]


def _parse_int(name: str, raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from None


def _parse_bool(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name} must be true or false, got {raw!r}")


def _parse_list(name: str, raw: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in raw.split(",") if part.strip())


#: How a variable's text becomes a value of its field's type.
_PARSERS: dict[Any, Callable[[str, str], Any]] = {
    int: _parse_int,
    bool: _parse_bool,
    str: lambda name, raw: raw,
    str | None: lambda name, raw: raw,
    Path: lambda name, raw: Path(raw),
    tuple[str, ...]: _parse_list,
}


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Unset and empty variables alike take the default, so ``HUB_X=`` in a compose file means "default"."""
    env = dict(os.environ if env is None else env)
    types = get_type_hints(Settings)
    values: dict[str, Any] = {}
    for setting in fields(Settings):
        declaration: _Declaration = setting.metadata[_DECLARATION]
        name = declaration.name
        raw = env.get(name)
        if raw:
            value = _PARSERS[types[setting.name]](name, raw)
        elif declaration.fallback is not None:
            value = declaration.fallback(values)
        else:
            value = setting.default
        if declaration.check is not None and (problem := declaration.check(value)):
            raise ConfigError(f"{name} {problem}")
        values[setting.name] = declaration.normalise(value) if declaration.normalise else value
    return Settings(**values)
