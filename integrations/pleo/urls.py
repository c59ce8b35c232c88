from __future__ import annotations

from django.urls import path

from integrations.pleo.api import PleoWebhookView

app_name = "pleo"
urlpatterns = [path("webhooks/", PleoWebhookView.as_view(), name="webhooks")]
