"""The API's own routes: the OpenAPI document and its docs page.

Each app mounts its endpoints from its ``urls.api_urlpatterns`` (config/urls.py includes them
under ``api/v1/``); this app keeps only what every endpoint shares.
"""

from django.urls import path

from dentalbridge.api import views

urlpatterns = [
    path("openapi.json", views.SchemaView.as_view(), name="api_schema"),
    path("docs/", views.docs, name="api_docs"),
]
