from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "hotline.identity"
    label = "identity"
    verbose_name = "身份与会话安全"
