"""Stage 1, the input: scenario files (steps and checkpoints) and the catalog (plans and prices).

`files` validates a scenario file with pydantic and lists the built-ins; `catalog` maps Stripe
price ids to plan names. Nothing here knows about Stripe's objects or API versions.
"""

from .catalog import Catalog, Price, default_catalog, load_catalog
from .files import Scenario, get_scenario, list_scenarios, load_scenario

__all__ = [
    "Catalog",
    "Price",
    "Scenario",
    "default_catalog",
    "get_scenario",
    "list_scenarios",
    "load_catalog",
    "load_scenario",
]
