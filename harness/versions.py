"""Stripe API versions: the names Stripe publishes and the era rules that shape objects.

Takes a version string, gives its `Era` (which breaking release it belongs to). Every monthly
version inside an era renders like its era: from 2024-09-30 monthly versions are additive only
(https://docs.stripe.com/api-versions), and additive fields appear in older renderings too.
"""

from __future__ import annotations

from enum import IntEnum

from .errors import ConfigError

# The complete list of API version names from 2024-06-20 on, as enumerated by the stripe
# package's WebhookEndpoint api_version parameter (stripe-python 16.1). `2025-03-01.dashboard`
# is one a webhook endpoint may be created with (the SDKs added it with basil); its rendering
# is not documented, so it renders as its date places it, before basil (FIDELITY.md).
KNOWN_VERSIONS: tuple[str, ...] = (
    "2024-06-20",
    "2024-09-30.acacia",
    "2024-10-28.acacia",
    "2024-11-20.acacia",
    "2024-12-18.acacia",
    "2025-01-27.acacia",
    "2025-02-24.acacia",
    "2025-03-01.dashboard",
    "2025-03-31.basil",
    "2025-04-30.basil",
    "2025-05-28.basil",
    "2025-06-30.basil",
    "2025-07-30.basil",
    "2025-08-27.basil",
    "2025-09-30.clover",
    "2025-10-29.clover",
    "2025-11-17.clover",
    "2025-12-15.clover",
    "2026-01-28.clover",
    "2026-02-25.clover",
    "2026-03-25.dahlia",
    "2026-04-22.dahlia",
    "2026-05-27.dahlia",
    "2026-06-24.dahlia",
    "2026-07-29.dahlia",
    "2026-08-26.dahlia",
    "2026-09-30.endive",
    "2026-10-28.endive",
)

PINNED_VERSION = "2026-10-28.endive"
"""The version the installed stripe package (16.x) pins."""

DEFAULT_VERSIONS: tuple[str, ...] = (
    "2024-06-20",
    "2025-03-31.basil",
    "2025-09-30.clover",
    PINNED_VERSION,
)
"""The versions `portal-harness run` covers unless told otherwise: one per shape change."""


class Era(IntEnum):
    """The breaking releases, in order; comparisons read naturally (era >= Era.BASIL)."""

    PRE_ACACIA = 0
    ACACIA = 1
    BASIL = 2
    CLOVER = 3
    DAHLIA = 4
    ENDIVE = 5


def check_version(version: str) -> str:
    """Return `version` if Stripe publishes it, else raise ConfigError listing the choices."""
    if version not in KNOWN_VERSIONS:
        raise ConfigError(
            f"unknown Stripe API version {str(version)[:40]!r}; supported: "
            f"{', '.join(KNOWN_VERSIONS)}"
        )
    return version


def era(version: str) -> Era:
    """The breaking release a published version belongs to."""
    check_version(version)
    date = version[:10]
    if date >= "2026-09-30":
        return Era.ENDIVE
    if date >= "2026-03-25":
        return Era.DAHLIA
    if date >= "2025-09-30":
        return Era.CLOVER
    if date >= "2025-03-31":
        return Era.BASIL
    if date >= "2024-09-30":
        return Era.ACACIA
    return Era.PRE_ACACIA


def at_least(version: str, date: str) -> bool:
    """True when `version` is the release of `date` (YYYY-MM-DD) or later."""
    return version[:10] >= date


def default_billing_mode(version: str) -> str:
    """Flexible is the default for new subscriptions from 2025-09-30.clover, classic before.

    https://docs.stripe.com/changelog/clover/2025-09-30/billing-mode-default-flexible
    """
    return "flexible" if era(version) >= Era.CLOVER else "classic"
