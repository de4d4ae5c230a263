from django.apps import AppConfig
from django.core import checks


def _push_keys(app_configs, **kwargs):
    """Push on with keys that are not a pair is refused before anything starts."""
    from . import webpush

    return [checks.Error(p, id="hotline.E191") for p in webpush.problems()]


class SupervisionConfig(AppConfig):
    name = "hotline.supervision"
    verbose_name = "督办与预警"

    def ready(self):
        checks.register(_push_keys)
