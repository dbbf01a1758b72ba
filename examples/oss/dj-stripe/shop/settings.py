"""A tiny Django shop that keeps its Stripe data with dj-stripe, configured from the
environment as a twelve-factor app would be."""

import os

SECRET_KEY = "not-a-secret-this-is-an-example-app"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "shop.urls"
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "djstripe",
    "shop",
]
MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("DB_PATH", "shop.sqlite3"),
        # Webhooks arrive on several threads at once: wait for the write lock.
        "OPTIONS": {"timeout": 30},
    }
}

# Stripe, through dj-stripe.
STRIPE_LIVE_MODE = False
STRIPE_TEST_SECRET_KEY = os.environ["STRIPE_SECRET_KEY"]
STRIPE_API_HOST = os.environ.get("STRIPE_API_BASE", "https://api.stripe.com")
STRIPE_API_VERSION = os.environ.get("STRIPE_API_VERSION", "2025-03-31.basil")
DJSTRIPE_FOREIGN_KEY_TO_FIELD = "id"
DJSTRIPE_WEBHOOK_VALIDATION = "verify_signature"
# The webhook endpoint this shop registered at Stripe (see shop/management/commands).
STRIPE_WEBHOOK_SECRET = os.environ["STRIPE_WEBHOOK_SECRET"]
WEBHOOK_UUID = os.environ.get("WEBHOOK_UUID", "2f0d6f3e-4a8b-4c4e-9f61-6a1d2b3c4d5e")
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")

LOGGING = {
    "version": 1,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {"django.request": {"handlers": ["console"], "level": "ERROR",
                                   "propagate": False}},
}
# STRIPE_API_HOST points dj-stripe at a Stripe stand-in, which is the point here.
SILENCED_SYSTEM_CHECKS = ["djstripe.W002"]

# dj-stripe's migrations take minutes on SQLite (their data migrations rewrite every table);
# a shop that starts from an empty database per test run builds the tables from the models.
if os.environ.get("FRESH_DATABASE") == "1":
    MIGRATION_MODULES = {"djstripe": None, "shop": None}
