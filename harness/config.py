"""Target files: how the harness reaches an app in any language (TOML, validated).

Takes a file with [app] (optional: how to start the app), [webhook], [plans], [seed], [state]
and [portal]; gives a `TargetFile` whose `build_target(fake)` is an `HttpTarget`. Placeholders:
{stripe_api_base} {stripe_secret_key} {webhook_secret} {tmp} {python} in [app]; {user_id}
{email} {customer_id} in [seed], [state] and [portal].
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .catalog import Catalog
from .errors import ConfigError
from .versions import check_version

DEFAULT_SECRET = "whsec_portalharness0000000000000000000"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AppSection(_Strict):
    command: list[str] = Field(min_length=1)
    cwd: str = "."
    ready_url: str
    ready_timeout: float = Field(default=60, gt=0)
    env: dict[str, str] = Field(default_factory=dict)
    stop_timeout: float = Field(default=10, gt=0)


class WebhookSection(_Strict):
    url: str
    secret: str | None = None
    api_versions: list[str] | None = None
    enabled_events: list[str] | None = None
    timeout: float = Field(default=10, gt=0)

    @field_validator("api_versions")
    @classmethod
    def _versions(cls, v: list[str] | None) -> list[str] | None:
        for version in v or []:
            try:
                check_version(version)
            except ConfigError as exc:
                raise ValueError(str(exc)) from None
        return v

    @field_validator("secret")
    @classmethod
    def _secret(cls, v: str | None) -> str | None:
        if v is not None and not v.startswith("whsec_"):
            raise ValueError("a webhook secret starts with whsec_")
        return v


class SeedSection(_Strict):
    url: str
    json_body: dict[str, Any] = Field(alias="json")
    headers: dict[str, str] = Field(default_factory=dict)
    reset_url: str | None = None


class StateSection(_Strict):
    database: str | None = None
    plan: str | None = None
    subscriptions: str | None = None
    paid_invoices: str | None = None
    url: str | None = None
    callable: str | None = None


class PortalSection(_Strict):
    url: str
    headers: dict[str, str] = Field(default_factory=dict)


class TargetSpec(_Strict):
    app: AppSection | None = None
    webhook: WebhookSection
    plans: dict[str, list[str]] = Field(min_length=1)
    seed: SeedSection | None = None
    state: StateSection
    portal: PortalSection | None = None
    name: str | None = None


class TargetFile:
    """A validated target file, with paths resolved against the file's folder."""

    def __init__(self, path: Path, spec: TargetSpec) -> None:
        self.path = path
        self.spec = spec
        self.catalog = Catalog.from_plan_prices(spec.plans, source=f"{path}: [plans]")
        self.api_versions = spec.webhook.api_versions
        self.enabled_events = spec.webhook.enabled_events
        self.webhook_secret = spec.webhook.secret or DEFAULT_SECRET
        state = spec.state
        if not (state.url or state.callable or (state.database and (
                state.plan or state.subscriptions or state.paid_invoices))):
            raise ConfigError(f"{path}: [state] needs database with at least one of plan, "
                              "subscriptions, paid_invoices; or url; or callable")

    @property
    def name(self) -> str:
        return self.spec.name or self.path.parent.name

    def placeholders(self, fake: Any, tmp: str) -> dict[str, str]:
        return {"stripe_api_base": fake.url, "stripe_secret_key": fake.api_key,
                "webhook_secret": self.webhook_secret, "tmp": tmp, "python": sys.executable}

    def build_target(self, fake: Any, secret_holder: str | None = None) -> Any:
        from .http_target import HttpTarget

        return HttpTarget(self, fake)


def load_target_file(path: str | Path) -> TargetFile:
    """Read and validate a target file; every error names the file and the key."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: target file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    try:
        spec = TargetSpec.model_validate(data)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"])
            msg = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
            lines.append(f"  [{where}]: {msg.removeprefix('Value error, ')}")
        raise ConfigError(f"{path}: invalid target file:\n" + "\n".join(lines)) from None
    return TargetFile(path.resolve(), spec)
