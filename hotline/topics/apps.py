from django.apps import AppConfig


class TopicsConfig(AppConfig):
    name = "hotline.topics"
    verbose_name = "专题与重点群体"
