"""A journey through the pages, written down as a scenario the loader accepts.

Takes each action the pages performed (the scenario step it equals, for which customer);
gives scenario YAML with a checkpoint after every action, checked by loading it back and
playing it on a fresh simulator, so a saved journey always replays.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..errors import ConfigError, ScenarioError
from ..scenario.catalog import Catalog
from ..scenario.files import Scenario


@dataclass
class Journal:
    """Steps in the order the customer took them; customers by Stripe id."""

    names: dict[str, str] = field(default_factory=dict)  # customer id -> scenario name
    emails: dict[str, str] = field(default_factory=dict)
    steps: list[dict[str, Any]] = field(default_factory=list)

    def name_for(self, customer_id: str, email: str, display: str) -> str:
        if customer_id not in self.names:
            base = re.sub(r"[^a-z0-9_]", "_", (display or email.split("@")[0]).lower())
            base = base.strip("_") or "customer"
            if not base[0].isalpha():
                base = "c_" + base
            name, n = base, 2
            while name in self.names.values():
                name, n = f"{base}_{n}", n + 1
            self.names[customer_id] = name
            self.emails[customer_id] = email
        return self.names[customer_id]

    def record(self, action: str, params: dict[str, Any]) -> None:
        self.steps.append({action: {k: v for k, v in params.items() if v is not None}})

    def clear(self) -> None:
        self.names.clear()
        self.emails.clear()
        self.steps.clear()

    def scenario_data(self, name: str, description: str) -> dict[str, Any]:
        if not self.steps:
            raise ConfigError("nothing to save: no action was taken on the pages yet")
        steps: list[dict[str, Any]] = []
        for i, step in enumerate(self.steps, start=1):
            (action, _), = step.items()
            steps.append(step)
            steps.append({"checkpoint": f"after_{i}_{action}"})
        data: dict[str, Any] = {
            "name": name, "description": description,
            "customers": [{"name": n, "email": self.emails[c]} for c, n in self.names.items()],
            "steps": steps}
        if any("pause" in s or "resume" in s for s in self.steps):
            # the portal pauses by status: endive and flexible billing mode only
            data["requires"] = {"min_api_version": "2026-10-28", "billing_mode": "flexible"}
        return data

    def scenario(self, name: str, description: str, *, catalog: Catalog, api_version: str,
                 billing_mode: str | None) -> Scenario:
        """The journey as a validated Scenario, played once to prove it replays."""
        from ..sim.simulator import Simulator

        if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
            raise ConfigError(f"scenario name {name!r}: use lower-case letters, digits and _")
        scenario = Scenario.model_validate(self.scenario_data(name, description))
        try:
            Simulator(scenario, api_version, catalog=catalog, billing_mode=billing_mode).run()
        except ScenarioError as exc:
            raise ConfigError(
                f"the journey does not replay as a scenario: {exc} (a subscription made "
                "outside the pages must be made through HostedPages.act to be recorded)"
            ) from None
        return scenario

    def yaml(self, name: str, description: str, **kw: Any) -> str:
        self.scenario(name, description, **kw)  # refuse to write what would not replay
        data = self.scenario_data(name, description)
        return "# Recorded by portal-harness from a journey through the local hosted pages.\n" + \
            yaml.safe_dump(data, sort_keys=False, allow_unicode=True)

    def save(self, path: str | Path, description: str, **kw: Any) -> Path:
        path = Path(path)
        if path.suffix not in (".yaml", ".yml"):
            raise ConfigError(f"{path}: a recorded journey is saved as .yaml")
        text = self.yaml(path.stem, description, **kw)
        path.write_text(text, encoding="utf-8")
        return path
