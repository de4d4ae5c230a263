"""The typed JSON API under /api/v1 (django-ninja): auth, the one error shape, the routers."""

from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import django_auth

from hotline import health
from hotline.errors import ErrorCode, HotlineError
from hotline.orgs.tokenauth import token_auth

api = NinjaAPI(
    title="12345 一张网 API",
    version="1",
    description="政务服务便民热线一张网：工单全流程接口。错误统一为 {code, field, message_zh, message_en}。",
    urls_namespace="api-v1",
    auth=[token_auth, django_auth],
)


def _error(request, status, code, field, zh, en):
    return api.create_response(
        request,
        {"code": str(code), "field": field, "message_zh": zh, "message_en": en},
        status=status,
    )


@api.exception_handler(HotlineError)
def _hotline_error(request, exc: HotlineError):
    response = api.create_response(request, exc.as_dict(), status=exc.status)
    if exc.status == 503:
        response["Retry-After"] = str(health.retry_after())
    return response


@api.exception_handler(OperationalError)
@api.exception_handler(InterfaceError)
def _database_unavailable(request, exc):
    """The database crashed, restarts or fails over: 503, retry later (hotline/health.py)."""
    response = api.create_response(request, health.unavailable_body(), status=503)
    response["Retry-After"] = str(health.retry_after())
    return response


@api.get("/health", auth=None, summary="运行状态 health", tags=["运行 operations"])
def get_health(request):
    """Database (up, latency), replica lag, worker heartbeats, outbox backlog and an overall
    status: 200 (ok, degraded) or 503 (down). Anonymous callers get the status alone."""
    code, body = health.report(detail=_caller(request) is not None)
    response = api.create_response(request, body, status=code)
    if code == 503:
        response["Retry-After"] = str(health.retry_after())
    return response


def _caller(request):
    """The signed-in user or token holder, or None; None too when the database is down."""
    try:
        user = token_auth(request)
        if user is None and request.user.is_authenticated:
            user = request.user
    except DatabaseError:
        return None
    return user


@api.exception_handler(ValidationError)
def _validation_error(request, exc: ValidationError):
    first = exc.errors[0] if exc.errors else {}
    # Drop the location and the parameter's name ("body", "payload"), not a field called so.
    loc = [
        str(x)
        for i, x in enumerate(first.get("loc", []))
        if i >= 2 or x not in ("body", "query", "path", "payload", "filters")
    ]
    field = ".".join(loc) or None
    msg = first.get("msg", "invalid input")
    return _error(
        request,
        422,
        ErrorCode.VALIDATION,
        field,
        f"字段「{field or '请求'}」无效：{msg}",
        f"{field or 'request'}: {msg}",
    )


@api.exception_handler(AuthenticationError)
def _auth_error(request, exc):
    return _error(
        request,
        401,
        ErrorCode.NOT_AUTHENTICATED,
        None,
        "请先登录或提供有效的令牌",
        "authentication required",
    )


@api.exception_handler(Http404)
def _not_found(request, exc):
    return _error(request, 404, ErrorCode.NOT_FOUND, None, "对象不存在或无权查看", "not found")


HTTP_ERRORS = {
    400: (ErrorCode.VALIDATION, "请求体无法解析，请提交有效的 JSON"),
    403: (ErrorCode.FORBIDDEN, "安全校验（CSRF）未通过，请刷新页面后重试"),
    405: (ErrorCode.VALIDATION, "不支持该请求方法"),
}


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    code, zh = HTTP_ERRORS.get(exc.status_code, (ErrorCode.VALIDATION, "请求无效"))
    return _error(request, exc.status_code, code, None, zh, str(exc))


def _register_routers():
    from hotline.audit.api import router as audit_router
    from hotline.calls.api import router as calls_router
    from hotline.evaluation.api import router as evaluation_router
    from hotline.exchange.api import router as exchange_router
    from hotline.exchange.police_api import router as police_router
    from hotline.incidents.api import router as incidents_router
    from hotline.knowledge.api import router as knowledge_router
    from hotline.quality.api import router as quality_router
    from hotline.reports.api import router as reports_router
    from hotline.routing.api import router as routing_router
    from hotline.screening.api import router as screening_router
    from hotline.supervision.api import router as supervision_router
    from hotline.tickets import api_actions  # noqa: F401  (the transitions, on tickets' router)
    from hotline.tickets.api import router as tickets_router
    from hotline.topics.api import router as topics_router

    api.add_router("/", tickets_router)
    api.add_router("/knowledge", knowledge_router)
    api.add_router("/", screening_router)
    api.add_router("/", routing_router)
    api.add_router("/", supervision_router)
    api.add_router("/", evaluation_router)
    api.add_router("/", exchange_router)
    api.add_router("/", police_router)
    api.add_router("/", reports_router)
    api.add_router("/", quality_router)
    api.add_router("/", calls_router)
    api.add_router("/", incidents_router)
    api.add_router("/", topics_router)
    api.add_router("/", audit_router)


_register_routers()
