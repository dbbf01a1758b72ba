"""Record the shop's Stripe webhook endpoint, with the signing secret Stripe gave it.

In production this row comes from dj-stripe's admin ("add webhook endpoint"), which creates
the endpoint at Stripe; here the url, secret and uuid come from the environment.
"""

from django.conf import settings
from django.core.management.base import BaseCommand
from djstripe.models import WebhookEndpoint


class Command(BaseCommand):
    help = "Record this shop's Stripe webhook endpoint (secret from STRIPE_WEBHOOK_SECRET)."

    def handle(self, *args, **options):
        url = f"{settings.SITE_URL}/stripe/webhook/{settings.WEBHOOK_UUID}/"
        WebhookEndpoint.objects.update_or_create(
            id="we_shop_endpoint", defaults={
                "livemode": False, "url": url, "secret": settings.STRIPE_WEBHOOK_SECRET,
                "djstripe_uuid": settings.WEBHOOK_UUID, "enabled_events": ["*"],
                "status": "enabled", "api_version": settings.STRIPE_API_VERSION,
                "stripe_data": {"id": "we_shop_endpoint", "object": "webhook_endpoint",
                                "url": url, "enabled_events": ["*"], "status": "enabled"},
            })
        self.stdout.write(f"webhook endpoint: {url}")
