from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    name = "hotline.exchange"
    verbose_name = "数据交换"
