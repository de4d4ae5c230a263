from django.apps import AppConfig


class QualityConfig(AppConfig):
    name = "hotline.quality"
    verbose_name = "质量抽查"
