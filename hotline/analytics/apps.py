from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "hotline.analytics"
    verbose_name = "分析预警"
