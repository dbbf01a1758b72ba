from django.urls import include, path

from . import views

urlpatterns = [
    path("stripe/", include("djstripe.urls", namespace="djstripe")),
    path("billing/portal", views.portal),
    path("healthz", views.healthz),
    path("__test/users", views.test_user),
    path("__test/reset", views.test_reset),
    path("__test/state", views.test_state),
]
