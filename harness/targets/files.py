"""Target files: how the harness reaches an app in any language (TOML, validated).

Takes a file with [app] (optional: how to start the app), [webhook], [plans], [seed], [state]
and [portal]; gives a `TargetFile` whose `build_target(fake)` is an `HttpTarget`. Unknown keys
and unknown {placeholders} are errors that name the key. Placeholders are listed in PLACEHOLDERS.
"""

from __future__ import annotations

import difflib
import json
import re
import socket
import sys
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..delivery.signing import DEFAULT_WEBHOOK_SECRET
from ..errors import ConfigError, ScenarioError
from ..files import MAX_CONFIG_BYTES, load_toml, read_text
from ..masking import live_keys
from ..scenario.catalog import Catalog
from ..versions import check_version

DEFAULT_SECRET = DEFAULT_WEBHOOK_SECRET  # the one the reference runs use

# What each placeholder becomes. The first group can be used anywhere in the file; the second
# only where the harness acts for one user ([seed], [state], [portal]).
PLACEHOLDERS = {
    "stripe_api_base": "the fake Stripe API's base url, e.g. http://127.0.0.1:40123",
    "stripe_secret_key": "the API key the fake Stripe API accepts (sk_test_...)",
    "webhook_secret": "the webhook signing secret ([webhook].secret or the harness default)",
    "tmp": "a fresh temporary folder for this run, removed afterwards",
    "python": "the Python interpreter running the harness",
    "port": "a free loopback port picked for this run (the same everywhere in the file)",
    "plans": "the [plans] table as JSON, lowest plan first",
    "clock_file": "a file holding the virtual time in unix seconds ([clock].follow)",
}
PER_USER_PLACEHOLDERS = {
    "user_id": "the app's user id the harness made up for a Stripe customer",
    "email": "that user's email",
    "customer_id": "that user's Stripe customer id (cus_...)",
    "plan": "the plan the user chooses at checkout ([checkout])",
    "price_id": "that plan's price id ([checkout])",
    "quantity": "the seats the user chooses at checkout, 1 unless the scenario says ([checkout])",
    "trial_days": "the trial the user chooses at checkout in days, empty for none ([checkout])",
}
_PER_USER_SECTIONS = ("seed", "state", "portal", "checkout")
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class AppSection(_Strict):
    command: list[str] = Field(min_length=1)
    cwd: str = "."
    ready_url: str
    ready_timeout: float = Field(default=60, gt=0)
    env: dict[str, str] = Field(default_factory=dict)
    stop_timeout: float = Field(default=10, gt=0)


class WebhookSection(_Strict):
    url: str
    secret: str | None = Field(default=None, repr=False)
    api_versions: list[str] | None = None
    enabled_events: list[str] | None = None
    timeout: float = Field(default=10, gt=0)
    # How many cases may run at the app at once (`run --concurrency`); 1 for an app that cannot
    # take concurrent requests or shares state between customers.
    concurrency: int | None = Field(default=None, ge=1)

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
    headers: dict[str, str] = Field(default_factory=dict)
    callable: str | None = None


class PortalSection(_Strict):
    url: str
    method: Literal["POST", "GET"] = "POST"  # GET: a link to the route; probed by query only
    headers: dict[str, str] = Field(default_factory=dict)


class CheckoutSection(_Strict):
    """The app's own checkout route: the harness calls it as the signed-in user, then pays the
    Checkout session the app created with each card in turn until one goes through."""

    url: str
    headers: dict[str, str] = Field(default_factory=dict)
    json_body: dict[str, Any] | None = Field(default=None, alias="json")
    form: dict[str, str] | None = None
    cards: list[str] = Field(default_factory=lambda: ["4242424242424242"], min_length=1)

    @field_validator("cards")
    @classmethod
    def _cards(cls, v: list[str]) -> list[str]:
        from ..sim.app_checkout import DECLINED, card_outcome

        try:
            outcomes = [card_outcome(c) for c in v]
        except ScenarioError as exc:
            raise ValueError(str(exc)) from None
        if outcomes[-1] == DECLINED:
            raise ValueError("the last card must go through (4242424242424242 or "
                             "4000002500003155), or the customer never subscribes")
        return v


class StripeSection(_Strict):
    """Where the harness serves its fake Stripe API (a fixed port lets an app you start
    yourself be configured ahead of time: STRIPE_API_BASE=http://127.0.0.1:PORT)."""

    port: int = Field(default=0, ge=0, le=65535)
    host: str = "127.0.0.1"
    api_key: str | None = None  # default: harness.fake_stripe.keys.DEFAULT_API_KEY

    @field_validator("api_key")
    @classmethod
    def _key(cls, v: str | None) -> str | None:
        from ..fake_stripe.keys import check_api_key

        return None if v is None else check_api_key(v)


class ClockSection(_Strict):
    """One clock for Stripe and the app (harness.targets.clock): where virtual time starts, and
    whether the app's clock follows it."""

    start: str | int = "fixed"
    follow: Literal["none", "file", "faketime"] = "none"
    library: str | None = None  # libfaketime's path, when not where the OS package puts it

    @field_validator("start")
    @classmethod
    def _start(cls, v: str | int) -> str | int:
        from .clock import resolve_start

        try:
            resolve_start(v, where="")
        except ConfigError as exc:
            raise ValueError(str(exc).strip()) from None
        return v


class TargetSpec(_Strict):
    name: str | None = None
    stripe: StripeSection = Field(default_factory=StripeSection)
    app: AppSection | None = None
    webhook: WebhookSection
    plans: dict[str, list[str]] = Field(min_length=1)
    seed: SeedSection | None = None
    state: StateSection
    portal: PortalSection | None = None
    checkout: CheckoutSection | None = None
    clock: ClockSection = Field(default_factory=ClockSection)


_SECTIONS: dict[str, type[BaseModel]] = {
    "": TargetSpec, "app": AppSection, "webhook": WebhookSection, "seed": SeedSection,
    "state": StateSection, "portal": PortalSection, "stripe": StripeSection,
    "clock": ClockSection, "checkout": CheckoutSection,
}


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
        queries = [k for k in ("plan", "subscriptions", "paid_invoices") if getattr(state, k)]
        ways = [w for w in ("database", "url", "callable") if getattr(state, w)]
        if len(ways) != 1 or (ways == ["database"]) != bool(queries):
            raise ConfigError(
                f"{path}: [state] needs exactly one way to read the app's state: database "
                "with at least one of plan, subscriptions, paid_invoices (SQL); or url (JSON); "
                f"or callable (module:function). Found: {', '.join(ways + queries) or 'none'}")

        self._clock_start: int | None = None

    @property
    def name(self) -> str:
        return self.spec.name or self.path.parent.name

    def clock_start_seconds(self) -> int:
        """[clock].start in seconds, resolved once ("now" is the time of the first call)."""
        from ..sim.world import START_TIME
        from .clock import resolve_start

        if self._clock_start is None:
            start = resolve_start(self.spec.clock.start, where=f"{self.path}: [clock].start")
            self._clock_start = START_TIME if start is None else start
        return self._clock_start

    def set_clock_start(self, seconds: int) -> None:
        """Start the virtual clock at `seconds` (a --clock-start given on the command line)."""
        self._clock_start = seconds

    @property
    def folder(self) -> Path:
        """Where the app runs: [app].cwd, else the target file's folder."""
        base = self.path.parent
        return (base / self.spec.app.cwd).resolve() if self.spec.app else base

    def placeholders(self, fake: Any, tmp: str) -> dict[str, str]:
        """The values of the file-wide placeholders for one run (a new free port each time)."""
        return {"stripe_api_base": fake.url, "stripe_secret_key": fake.api_key,
                "webhook_secret": self.webhook_secret, "tmp": tmp, "python": sys.executable,
                "port": str(free_port()), "plans": json.dumps(self.spec.plans),
                "clock_file": f"{tmp}/clock"}

    def build_target(self, fake: Any) -> Any:
        """An HttpTarget for this file (with the portal checks when [portal] is given)."""
        from .http import HttpPortalTarget, HttpTarget

        cls = HttpPortalTarget if self.spec.portal is not None else HttpTarget
        return cls(self, fake)


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def load_target_file(path: str | Path, *, allow_live_keys: bool = False) -> TargetFile:
    """Read and validate a target file; every error names the file and the key. A live Stripe
    key (sk_live_, rk_live_) anywhere in it is refused unless allow_live_keys."""
    path = Path(path)
    text = read_text(path, what="target file", limit=MAX_CONFIG_BYTES)
    data = load_toml(text, str(path))
    found = list(live_keys(data))
    if found and not allow_live_keys:
        where, masked = found[0]
        raise ConfigError(
            f"{path}: [{where}] holds a live Stripe key ({masked}). The harness serves its own "
            "fake Stripe API and never needs one; use {stripe_secret_key}, or pass "
            "--allow-live-keys (pytest: --harness-allow-live-keys) if you really mean it")
    try:
        spec = TargetSpec.model_validate(data)
    except ValidationError as exc:
        lines = [f"  [{_where(err['loc'])}]: {_message(err)}" for err in exc.errors()]
        raise ConfigError(f"{path}: invalid target file:\n" + "\n".join(lines)) from None
    problems = list(_unknown_placeholders(data))
    if problems:
        known = ", ".join("{" + k + "}" for k in (*PLACEHOLDERS, *PER_USER_PLACEHOLDERS))
        raise ConfigError(f"{path}: invalid target file:\n" + "\n".join(problems)
                          + f"\n  (placeholders: {known})")
    return TargetFile(path.resolve(), spec)


def _where(loc: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in loc) or "(top level)"


def _message(err: Any) -> str:
    loc = err["loc"]
    if err["type"] != "extra_forbidden":
        return err["msg"].removeprefix("Value error, ")
    model = _SECTIONS.get(str(loc[0]) if len(loc) > 1 else "")
    if model is None:
        return "unknown key"
    names = [f.alias or n for n, f in model.model_fields.items()]
    close = difflib.get_close_matches(str(loc[-1]), names, n=1)
    hint = f"did you mean {close[0]!r}?" if close else f"known keys: {', '.join(names)}"
    return f"unknown key ({hint})"


def _unknown_placeholders(data: Any, loc: tuple[str, ...] = ()) -> Any:
    if isinstance(data, dict):
        for k, v in data.items():
            yield from _unknown_placeholders(v, (*loc, str(k)))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from _unknown_placeholders(v, (*loc, str(i)))
    elif isinstance(data, str):
        allowed = set(PLACEHOLDERS)
        if loc and loc[0] in _PER_USER_SECTIONS:
            allowed |= set(PER_USER_PLACEHOLDERS)
        for name in _PLACEHOLDER.findall(data):
            if name not in allowed:
                where = ("only in [seed], [state] and [portal]"
                         if name in PER_USER_PLACEHOLDERS else "unknown placeholder")
                yield f"  [{'.'.join(loc)}]: {{{name}}}: {where}"
