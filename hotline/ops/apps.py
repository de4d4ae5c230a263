from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "hotline.ops"
    verbose_name = "运行状态"
