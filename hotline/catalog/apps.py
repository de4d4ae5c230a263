from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "hotline.catalog"
    verbose_name = "目录与时限"
