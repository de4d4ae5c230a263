"""{% desktop_stream_url %}: the live stream the desktop banner opens (the agent's own topic and
the desks of the agent's units, where one message reaches every agent of a unit)."""

from urllib.parse import urlencode

from django import template
from django.urls import reverse

from hotline.realtime import topics

register = template.Library()


@register.simple_tag(takes_context=True)
def desktop_stream_url(context) -> str:
    names = topics.desktop_topics(context["user"])
    return f"{reverse('realtime:stream')}?{urlencode([('topic', t) for t in names])}"
