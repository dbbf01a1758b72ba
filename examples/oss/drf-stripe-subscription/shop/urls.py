from django.urls import include, path

from shop import views

urlpatterns = [
    path("stripe/", include("drf_stripe.urls")),   # webhook/, customer-portal/, checkout/ ...
    path("healthz", views.healthz),
    path("__test/users", views.create_user),
    path("__test/reset", views.reset),
    path("__test/state/<str:customer_id>", views.state),
]
