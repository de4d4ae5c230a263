from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "hotline.incidents"
    verbose_name = "突发事件与应急值守"
