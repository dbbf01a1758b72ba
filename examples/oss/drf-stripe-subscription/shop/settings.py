"""The smallest Django + DRF project around drf-stripe-subscription, configured from the
environment the harness gives (STRIPE_API_BASE, STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET)."""
import os

SECRET_KEY = "not-secret-example-only"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "rest_framework",
    "drf_stripe",
]
MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]
ROOT_URLCONF = "shop.urls"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3",
                         "NAME": os.environ.get("DB_PATH", "shop.sqlite3")}}
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
REST_FRAMEWORK = {
    # the shop's own sign-in is out of scope: a header names the signed-in user
    "DEFAULT_AUTHENTICATION_CLASSES": ["shop.auth.HeaderUser"],
    "UNAUTHENTICATED_USER": None,
}
DRF_STRIPE = {
    "STRIPE_API_SECRET": os.environ.get("STRIPE_SECRET_KEY", ""),
    "STRIPE_WEBHOOK_SECRET": os.environ.get("STRIPE_WEBHOOK_SECRET", ""),
    "FRONT_END_BASE_URL": os.environ.get("SITE_URL", "http://127.0.0.1:8000"),
}

# The one change a shop makes to test against a Stripe stand-in: the API base.
if os.environ.get("STRIPE_API_BASE"):
    import stripe

    stripe.api_base = os.environ["STRIPE_API_BASE"]

# Errors go to the log the harness shows (stderr), not to mail.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "loggers": {"django.request": {"handlers": ["stderr"], "level": "ERROR"}},
}
