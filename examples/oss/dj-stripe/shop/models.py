from django.conf import settings
from django.db import models


class Billing(models.Model):
    """Which Stripe customer pays for which user (the shop's own table)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                primary_key=True)
    stripe_customer_id = models.CharField(max_length=255, blank=True, db_index=True)
