from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    """Platform pieces every app stands on: health, heartbeat, demo-data registry, navigation."""

    name = "core"
    verbose_name = _("System")
    admin_order = 90  # after the CRM's apps and its people, before third parties' tables

    def ready(self):
        from django.db import models
        from rest_framework import serializers

        from .api import ApiDateTimeField

        # every API moment is read by the one field that refuses what no client can read back
        serializers.ModelSerializer.serializer_field_mapping[models.DateTimeField] = ApiDateTimeField
