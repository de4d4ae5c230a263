from django.apps import AppConfig


class EvaluationConfig(AppConfig):
    name = "hotline.evaluation"
    verbose_name = "考评"
