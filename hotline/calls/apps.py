from django.apps import AppConfig


class CallsConfig(AppConfig):
    name = "hotline.calls"
    verbose_name = "接听与座席"
