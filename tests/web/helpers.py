"""Shared helpers for the workbench page tests."""

from hotline.tickets.models import Ticket

HX = {"HTTP_HX_REQUEST": "true"}


def as_user(client, province, username):
    client.force_login(province.users[username])
    return client


def reload(t) -> Ticket:
    return Ticket.objects.get(pk=t.pk)


def text(response) -> str:
    return response.content.decode()
