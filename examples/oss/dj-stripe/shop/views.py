"""The shop's own routes: the customer portal, and the test hooks the harness calls."""

import json

import stripe
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .models import Billing

# Rows the test hooks keep between cases: the shop's registration at Stripe.
KEEP = {"WebhookEndpoint", "APIKey", "Account"}


def healthz(request):
    return HttpResponse("ok")


def _signed_in_user(request):
    """Stands in for the shop's session login: the user id the front end would have."""
    user_id = request.headers.get("X-User-Id")
    if not user_id:
        return None
    return get_user_model().objects.filter(username=user_id).first()


@csrf_exempt
@require_POST
def portal(request):
    """Open the Stripe customer portal for the signed-in user's own customer."""
    user = _signed_in_user(request)
    if user is None:
        return JsonResponse({"error": "sign in first"}, status=401)
    billing = Billing.objects.filter(user=user).exclude(stripe_customer_id="").first()
    if billing is None:
        return JsonResponse({"error": "no billing account"}, status=404)
    session = stripe.billing_portal.Session.create(
        customer=billing.stripe_customer_id, return_url=settings.SITE_URL + "/account",
        api_key=settings.STRIPE_TEST_SECRET_KEY, stripe_version=settings.STRIPE_API_VERSION)
    return HttpResponseRedirect(session.url, status=303)


PLAN_OF_PRICE = {"price_basic_monthly": "basic", "price_pro_monthly": "pro",
                 "price_pro_annual": "pro", "price_enterprise_monthly": "enterprise"}
PLAN_RANK = ["free", "basic", "pro", "enterprise"]


def test_state(request):
    """Test hook: what the shop believes, through dj-stripe's model layer (its properties and
    helpers, as the shop's own code would ask them)."""
    from djstripe.models import Customer

    customer = Customer.objects.filter(id=request.GET["customer_id"]).first()
    if customer is None:
        return JsonResponse({"plan": "free", "subscriptions": {}, "paid_invoices": []})
    plans = ["free"]
    for sub in customer.active_subscriptions:  # "active status that end in the future"
        plans += [PLAN_OF_PRICE.get(item["price"]["id"], "free")
                  for item in sub.stripe_data.get("items", {}).get("data", [])]
    subscriptions = {}
    for sub in customer.subscriptions.all():
        items = sub.stripe_data.get("items", {}).get("data", [])
        end = sub.current_period_end
        subscriptions[sub.id] = {
            "status": sub.status,
            "price_id": items[0]["price"]["id"] if items else None,
            "current_period_end": int(end.timestamp()) if end else None,
            "cancel_at_period_end": sub.cancel_at_period_end,
            "collection_paused": sub.pause_collection is not None,
        }
    paid = [inv.id for inv in customer.invoices.all() if inv.status == "paid"]
    return JsonResponse({"plan": max(plans, key=PLAN_RANK.index),
                         "subscriptions": subscriptions, "paid_invoices": paid})


@csrf_exempt
@require_POST
def test_user(request):
    """Test hook: a user of the shop whose Stripe customer already exists."""
    data = json.loads(request.body)
    user, _ = get_user_model().objects.update_or_create(
        username=data["id"], defaults={"email": data.get("email") or ""})
    Billing.objects.update_or_create(
        user=user, defaults={"stripe_customer_id": data.get("stripe_customer_id") or ""})
    return JsonResponse({"ok": True}, status=201)


@csrf_exempt
@require_POST
def test_reset(request):
    """Test hook: forget every user and every synced Stripe object."""
    with transaction.atomic():
        get_user_model().objects.all().delete()
        for model in apps.get_app_config("djstripe").get_models():
            if model.__name__ not in KEEP:
                model.objects.all().delete()
    return JsonResponse({"ok": True})
