from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "hotline.reports"
    verbose_name = "分析报告与大屏"
