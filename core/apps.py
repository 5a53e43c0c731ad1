from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    """Platform pieces every app stands on: health, heartbeat, demo-data registry, navigation."""

    name = "core"
    verbose_name = _("System")
    admin_order = 90  # after the CRM's apps and its people, before third parties' tables

    def ready(self):
        from django.db import models
        from django.db.backends.signals import connection_created
        from rest_framework import serializers

        from .api import ApiDateTimeField
        from .response_cache import watch_writes

        # every API moment is read by the one field that refuses what no client can read back
        serializers.ModelSerializer.serializer_field_mapping[models.DateTimeField] = ApiDateTimeField
        # every write on any connection retires the responses kept per user (core.response_cache)
        connection_created.connect(watch_writes, dispatch_uid="core.response_cache.watch_writes")
