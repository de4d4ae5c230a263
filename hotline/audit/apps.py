from django.apps import AppConfig
from django.core import checks

from . import security


class AuditConfig(AppConfig):
    name = "hotline.audit"
    label = "audit"
    verbose_name = "安全审计"

    def ready(self):
        # A deployment check: `hotline check --deploy` and `hotline serve` (DEBUG off) run it.
        checks.register(security.deploy_check, checks.Tags.security, deploy=True)
