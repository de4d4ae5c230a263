from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "hotline.portal"
    label = "portal"
    verbose_name = "市民门户与历史导入"
