from django.apps import AppConfig


class RoutingConfig(AppConfig):
    name = "hotline.routing"
    verbose_name = "智能派单"
    default_auto_field = "django.db.models.BigAutoField"
