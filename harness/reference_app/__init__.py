"""The reference app: a small, correct SaaS billing app on the Stripe Customer Portal.

Takes `AppSettings`, gives an ASGI `ReferenceApp` with the portal-session and webhook routes.
It uses only the standard library, stripe and starlette, never the rest of the harness.
"""

import logging

from .app import ReferenceApp, create_app
from .db import Database
from .portal import PortalRoute
from .settings import AppSettings
from .webhooks import WebhookProcessor

# A library stays quiet unless the program configures logging (Python logging HOWTO).
logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = [
    "AppSettings",
    "Database",
    "PortalRoute",
    "ReferenceApp",
    "WebhookProcessor",
    "create_app",
]
