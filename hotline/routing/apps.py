from django.apps import AppConfig


class RoutingConfig(AppConfig):
    name = "hotline.routing"
    verbose_name = "智能派单"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Every dispatch records what routing suggested, in the dispatch's transaction; the
        # lifecycle (a floor below) calls whoever registered, so it never imports routing.
        from hotline.tickets import lifecycle

        from . import services

        lifecycle.on_dispatch(services.record_dispatch)
