from django.apps import AppConfig


class OrgsConfig(AppConfig):
    name = "hotline.orgs"
    verbose_name = "组织与用户"
