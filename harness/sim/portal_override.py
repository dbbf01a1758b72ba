"""Portal configurations chosen on the command line (`--portal-configuration`), over the
scenarios' own.

Takes the option's values: `NAME_OR_FILE` (a built-in name, or Stripe's
`billing_portal.configuration` as JSON, YAML or TOML) for every customer, and
`CUSTOMER=NAME_OR_FILE` for one customer name, as apps route customer types to different
`bpc_` ids. Gives scenarios that use them; a scenario with a step the chosen portal does not
offer is marked so the matrix skips it, saying why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..errors import ConfigError, ScenarioError
from ..scenario.catalog import Catalog
from ..scenario.files import Checkpoint, Scenario
from ..versions import default_billing_mode
from .portal_config import load_portal_configuration

_CUSTOMER = re.compile(r"^([a-z][a-z0-9_]*)=(.+)$")


@dataclass
class PortalOverride:
    """What `--portal-configuration` chose: one configuration for everyone, and per customer."""

    default: dict[str, Any] | None = None
    per_customer: dict[str, dict[str, Any]] = field(default_factory=dict)
    given: list[str] = field(default_factory=list)  # the option's words, for replay commands

    @classmethod
    def parse(cls, values: list[str] | None) -> PortalOverride | None:
        if not values:
            return None
        out = cls(given=list(values))
        for value in values:
            match = _CUSTOMER.match(value)
            who, source = (match.group(1), match.group(2)) if match else (None, value)
            config = _read(source)
            if who is None:
                if out.default is not None:
                    raise ConfigError(f"--portal-configuration {value}: a configuration for "
                                      "every customer is already given; name the customer "
                                      "(CUSTOMER=NAME_OR_FILE) for another")
                out.default = config
            elif who in out.per_customer:
                raise ConfigError(f"--portal-configuration {value}: customer {who!r} already "
                                  "has one")
            else:
                out.per_customer[who] = config
        return out

    def apply(self, scenarios: list[Scenario]) -> list[Scenario]:
        """The scenarios with these configurations in place of their own."""
        named = {c.name for s in scenarios for c in s.customers}
        unknown = sorted(set(self.per_customer) - named)
        if unknown:
            raise ConfigError(f"--portal-configuration: no chosen scenario has a customer named "
                              f"{', '.join(map(repr, unknown))} (customers: "
                              f"{', '.join(sorted(named))})")
        return [self.apply_one(s) for s in scenarios]

    def apply_one(self, scenario: Scenario) -> Scenario:
        """One scenario with these configurations (customer names are not checked)."""
        customers = []
        for spec in scenario.customers:
            mine = self.per_customer.get(spec.name)
            if mine is None and self.default is not None:
                spec = spec.model_copy(update={"portal_configuration": None})
            elif mine is not None:
                spec = spec.model_copy(update={"portal_configuration": mine})
            customers.append(spec)
        # A checkpoint's `expect` documents the flow under the scenario's own portal (e.g. no
        # proration invoice); the app is still judged against the World's truth.
        steps = [s.model_copy(update={"expect": {}}) if isinstance(s, Checkpoint) else s
                 for s in scenario.steps]
        update: dict[str, Any] = {"customers": customers, "steps": steps}
        if self.default is not None:
            update["portal_configuration"] = self.default
        return scenario.model_copy(update=update)


def mark_unoffered(scenarios: list[Scenario], versions: list[str], catalog: Catalog,
                   billing_mode: str | None = None) -> None:
    """Play each scenario once per version; where a step is one its portal configuration does
    not offer, record why, so the matrix skips those cases instead of stopping the run."""
    from .simulator import Simulator

    for scenario in scenarios:
        for version in versions:
            mode = billing_mode or default_billing_mode(version)
            if scenario.supports(version, mode):
                continue
            try:
                Simulator(scenario, version, catalog, billing_mode=mode).run()
            except ScenarioError as exc:
                if "portal configuration" not in str(exc):
                    raise
                scenario.mark_unsupported(version, "the portal configuration does not offer a "
                                                   f"step: {str(exc).split(': ', 1)[-1]}")


def _read(source: str) -> dict[str, Any]:
    """A configuration as Stripe's object (validated; errors name the file and the field)."""
    try:
        config = load_portal_configuration(source)
    except ConfigError as exc:
        raise ConfigError(f"--portal-configuration: {exc}") from None
    return config.model_dump(mode="json")
