"""Test hooks the harness uses: make a user linked to a Stripe customer, and read back what
drf-stripe-subscription recorded, through its own models."""
import json

from django.contrib.auth import get_user_model
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from drf_stripe.models import StripeUser, Subscription, SubscriptionItem

PLANS = {"price_basic_monthly": "basic", "price_pro_monthly": "pro",
         "price_pro_annual": "pro", "price_enterprise_monthly": "enterprise"}
TIERS = ["free", "basic", "pro", "enterprise"]


def healthz(request):
    return JsonResponse({"ok": True})


@csrf_exempt
def create_user(request):
    body = json.loads(request.body)
    user, _ = get_user_model().objects.update_or_create(username=body["id"],
                                                        defaults={"email": body["email"]})
    if body.get("stripe_customer_id"):  # a user without billing gets one from the library
        StripeUser.objects.update_or_create(user=user,
                                            defaults={"customer_id": body["stripe_customer_id"]})
    return JsonResponse({"id": user.username}, status=201)


@csrf_exempt
def reset(request):
    """Before each case: forget users and what was synced; the catalog pulled at start stays."""
    Subscription.objects.all().delete()
    StripeUser.objects.all().delete()
    get_user_model().objects.all().delete()
    return JsonResponse({"ok": True})


def state(request, customer_id):
    stripe_user = StripeUser.objects.filter(customer_id=customer_id).first()
    if stripe_user is None:
        return JsonResponse({"plan": "free", "subscriptions": []})
    # the library's own answer to "what does this user have": its access-granting items
    held = {PLANS.get(item.price_id, "free") for item in stripe_user.current_subscription_items}
    rows = []
    for sub in Subscription.objects.filter(stripe_user=stripe_user):
        item = SubscriptionItem.objects.filter(subscription=sub).first()
        rows.append({
            "id": sub.subscription_id,
            "status": sub.status,
            "price_id": item.price_id if item else None,
            "current_period_end": sub.period_end.isoformat() if sub.period_end else None,
            "cancel_at_period_end": sub.cancel_at_period_end,
            "cancel_at": int(sub.cancel_at.timestamp()) if sub.cancel_at else None,
        })
    return JsonResponse({"plan": max(held, key=TIERS.index, default="free"),
                         "subscriptions": rows})
