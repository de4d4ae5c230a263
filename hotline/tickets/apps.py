from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "hotline.tickets"
    verbose_name = "工单"
