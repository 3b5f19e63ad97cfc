"""Routes of core: the dashboard and the health check."""

from django.urls import path

from dentalbridge.core import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("healthz", views.healthz, name="healthz"),
]
