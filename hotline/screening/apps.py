from django.apps import AppConfig


class ScreeningConfig(AppConfig):
    name = "hotline.screening"
    verbose_name = "风险甄别"
