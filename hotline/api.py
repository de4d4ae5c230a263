"""The typed JSON API under /api/v1 (django-ninja); each app adds its router."""

from ninja import NinjaAPI

api = NinjaAPI(title="12345 一张网 API", version="1", urls_namespace="api-v1")
