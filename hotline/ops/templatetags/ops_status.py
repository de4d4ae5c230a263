"""{% replica_status as replica %}: the read replica's state for the admin's front page."""

from django import template

from hotline import dbrouter

register = template.Library()


@register.simple_tag
def replica_status():
    """None without a replica; else its lag, the limit and whether stale reads use it now."""
    return dbrouter.replica_status()
