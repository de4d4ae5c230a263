from django.apps import AppConfig


class CallsConfig(AppConfig):
    name = "hotline.calls"
    verbose_name = "接听与座席"

    def ready(self):
        # Platform adapters register their dialers on import; a platform configured with
        # dial_kind "kamailio" must find its dialer in every process, not only in tests.
        from hotline.calls.platforms import kamailio  # noqa: F401
