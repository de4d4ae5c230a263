"""The platform's security settings, judged one by one (等保三级 expectations).

`evaluate()` returns one Finding per setting; `hotline check-security` prints them all and
fails on any weak one; the deployment system check (`check --deploy`, and `hotline serve` with
DEBUG off) turns the fatal ones into errors, so production never starts on the development
key or with no allowed host.
"""

from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core import checks
from django.utils.module_loading import import_string

from hotline import crypto
from hotline.throttle import parse_rate

HSTS_MIN_SECONDS = 31_536_000  # one year, as browsers' preload lists ask
STRICT_REFERRER = {"no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin"}
UNSAFE_SCRIPT = {"'unsafe-inline'", "'unsafe-eval'", "*", "data:", "http:", "https:"}


@dataclass(frozen=True)
class Finding:
    name: str  # the Django setting (or our own name)
    label: str  # what it is, in Chinese
    shown: str  # its value as printed (never the secret itself)
    ok: bool
    advice: str  # how to fix it, in Chinese, naming the environment variable
    fatal: bool = False  # production refuses to start on it


def _weak_key(key: str) -> bool:
    dev = getattr(settings, "DEVELOPMENT_SECRET_KEY", None)
    return key == dev or len(key) < 50 or len(set(key)) < 5 or key.startswith("django-insecure")


def _installed(path: str) -> bool:
    """The middleware `path`, or a subclass of it (hotline.apipath's skip it for bearer API
    requests only), is in settings.MIDDLEWARE."""
    wanted = import_string(path)
    return any(issubclass(import_string(m), wanted) for m in settings.MIDDLEWARE)


def _csp() -> tuple[bool, str]:
    if not _installed("csp.middleware.CSPMiddleware"):
        return False, "未启用"
    policy = getattr(settings, "CONTENT_SECURITY_POLICY", None) or {}
    directives = policy.get("DIRECTIVES", {})
    script = list(directives.get("script-src") or directives.get("default-src") or [])
    shown = "; ".join(f"{k} {' '.join(str(x) for x in v)}" for k, v in directives.items())
    ok = (
        bool(script)
        and not UNSAFE_SCRIPT.intersection(script)
        and list(directives.get("object-src", [])) == ["'none'"]
        and bool(directives.get("frame-ancestors"))
    )
    return ok, shown or "（空）"


def _rate(name: str) -> tuple[bool, str]:
    text = getattr(settings, name, None)
    try:
        rate = parse_rate(text)
    except ValueError:
        return False, f"{text}（格式错误）"
    return rate is not None, text or "off"


REQUIRED_VALIDATORS = {
    "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
    "django.contrib.auth.password_validation.CommonPasswordValidator",
    "hotline.identity.validators.CharacterClassesValidator",
    "hotline.identity.validators.NotUsernameValidator",
    "hotline.identity.validators.PasswordHistoryValidator",
}


def _passwords() -> tuple[bool, str]:
    names, min_length = set(), 0
    for v in settings.AUTH_PASSWORD_VALIDATORS:
        names.add(v["NAME"])
        if v["NAME"].endswith(".MinimumLengthValidator"):
            min_length = v.get("OPTIONS", {}).get("min_length", 8)
    missing = REQUIRED_VALIDATORS - names
    shown = f"最短 {min_length} 位；{len(names)} 条规则" + (
        f"；缺少 {', '.join(sorted(n.rsplit('.', 1)[1] for n in missing))}" if missing else ""
    )
    return min_length >= 12 and not missing, shown


def _data_key() -> tuple[bool, str]:
    """Whether citizens' data is under a key of the operator's (never the development one)."""
    env, path = settings.DATA_KEY, settings.DATA_KEY_FILE
    if not env and not path:
        return False, "开发用密钥（启动时生成于 var 目录）"
    try:
        if env:
            found, where = crypto.parse_keys(env, "env"), "环境变量"
        else:
            found, where = crypto.parse_keys(Path(path).read_text(), "file"), f"密钥文件 {path}"
    except OSError as exc:
        return False, f"无法读取数据密钥文件（{exc.strerror}）"
    except crypto.DataKeyError as exc:
        return False, f"无法使用（{exc}）"
    if path and not env and Path(path).stat().st_mode & 0o077:
        return False, f"{where} 可被其他用户读取（应为 600）"
    return True, f"{where}，当前密钥 {found.current.id}，共 {len(found.keys)} 个"


def evaluate() -> list[Finding]:
    """Every security setting in force, judged; nothing is changed."""
    debug = settings.DEBUG
    key = settings.SECRET_KEY or ""
    hosts = [h for h in settings.ALLOWED_HOSTS if h]
    hsts = settings.SECURE_HSTS_SECONDS or 0
    referrer = settings.SECURE_REFERRER_POLICY or ""
    csp_ok, csp_shown = _csp()
    token_ok, token_shown = _rate("API_RATE_PER_TOKEN")
    address_ok, address_shown = _rate("API_RATE_PER_ADDRESS")
    pw_ok, pw_shown = _passwords()
    key_ok, key_shown = _data_key()
    otp_on = _installed("django_otp.middleware.OTPMiddleware") and _installed(
        "hotline.identity.middleware.SessionSecurityMiddleware"
    )
    return [
        Finding("DEBUG", "调试模式", str(debug), not debug, "生产环境设置 HOTLINE_DEBUG=false"),
        Finding(
            "SECRET_KEY",
            "会话与签名密钥",
            "开发用或过弱的密钥" if _weak_key(key) else f"已设置（{len(key)} 个字符）",
            not _weak_key(key),
            "设置 HOTLINE_SECRET_KEY 为至少 50 个字符的随机串",
            fatal=True,
        ),
        Finding(
            "DATA_KEY",
            "诉求人个人信息加密密钥（SM4）",
            key_shown,
            key_ok,
            "设置 HOTLINE_DATA_KEY_FILE 为仅服务账号可读的密钥文件（hotline rotate-data-key "
            "--new-key 生成），或 HOTLINE_DATA_KEY",
            fatal=True,
        ),
        Finding(
            "ALLOWED_HOSTS",
            "允许的主机名",
            ",".join(hosts) or "（空）",
            bool(hosts) and "*" not in hosts,
            "设置 HOTLINE_ALLOWED_HOSTS 为对外服务的域名，不得为空或 *",
            fatal=True,
        ),
        Finding(
            "SESSION_COOKIE_SECURE",
            "会话 Cookie 仅经 HTTPS 发送",
            str(settings.SESSION_COOKIE_SECURE),
            settings.SESSION_COOKIE_SECURE,
            "设置 HOTLINE_SECURE_COOKIES=true",
        ),
        Finding(
            "CSRF_COOKIE_SECURE",
            "CSRF Cookie 仅经 HTTPS 发送",
            str(settings.CSRF_COOKIE_SECURE),
            settings.CSRF_COOKIE_SECURE,
            "设置 HOTLINE_SECURE_COOKIES=true",
        ),
        Finding(
            "SESSION_COOKIE_HTTPONLY",
            "会话 Cookie 禁止脚本读取",
            str(settings.SESSION_COOKIE_HTTPONLY),
            settings.SESSION_COOKIE_HTTPONLY,
            "不要关闭 SESSION_COOKIE_HTTPONLY",
        ),
        Finding(
            "SECURE_SSL_REDIRECT",
            "HTTP 跳转到 HTTPS",
            str(settings.SECURE_SSL_REDIRECT),
            settings.SECURE_SSL_REDIRECT,
            "设置 HOTLINE_SSL_REDIRECT=true（反向代理后还需 HOTLINE_PROXY_SSL_HEADER=true）",
        ),
        Finding(
            "SECURE_HSTS_SECONDS",
            "HSTS 有效期（秒）",
            str(hsts),
            hsts >= HSTS_MIN_SECONDS,
            f"设置 HOTLINE_HSTS_SECONDS ≥ {HSTS_MIN_SECONDS}",
        ),
        Finding(
            "SECURE_CONTENT_TYPE_NOSNIFF",
            "X-Content-Type-Options: nosniff",
            str(settings.SECURE_CONTENT_TYPE_NOSNIFF),
            settings.SECURE_CONTENT_TYPE_NOSNIFF,
            "不要关闭 SECURE_CONTENT_TYPE_NOSNIFF",
        ),
        Finding(
            "SECURE_REFERRER_POLICY",
            "Referrer-Policy",
            referrer or "（未设置）",
            referrer in STRICT_REFERRER,
            "设置 HOTLINE_REFERRER_POLICY 为 same-origin 或 strict-origin-when-cross-origin",
        ),
        Finding(
            "X_FRAME_OPTIONS",
            "禁止被嵌入框架",
            settings.X_FRAME_OPTIONS,
            settings.X_FRAME_OPTIONS == "DENY",
            "X_FRAME_OPTIONS 应为 DENY",
        ),
        Finding(
            "CONTENT_SECURITY_POLICY",
            "内容安全策略（CSP，禁止内联脚本）",
            csp_shown,
            csp_ok,
            "启用 csp.middleware.CSPMiddleware，script-src 不含 'unsafe-inline'/'unsafe-eval'",
        ),
        Finding(
            "AUTH_PASSWORD_VALIDATORS",
            "密码策略（长度、字符类别、用户名、常见密码、最近 5 次）",
            pw_shown,
            pw_ok,
            "保留 settings 中的全部密码规则，最短不少于 12 位",
        ),
        Finding(
            "OTP",
            "双因素认证（TOTP）",
            "已启用" if otp_on else "未启用",
            otp_on,
            "启用 django_otp 的 OTPMiddleware 与 hotline.identity 的会话安全中间件",
        ),
        Finding(
            "SESSION_IDLE_MINUTES",
            "默认空闲超时（分钟）",
            str(settings.SESSION_IDLE_MINUTES),
            0 < settings.SESSION_IDLE_MINUTES <= 30,
            "设置 HOTLINE_SESSION_IDLE_MINUTES 不超过 30",
        ),
        Finding(
            "API_TOKEN_MAX_DAYS",
            "API 令牌最长有效期（天）",
            str(settings.API_TOKEN_MAX_DAYS),
            0 < settings.API_TOKEN_MAX_DAYS <= 365,
            "设置 HOTLINE_API_TOKEN_MAX_DAYS 不超过 365",
        ),
        Finding(
            "API_RATE_PER_TOKEN",
            "接口限流（每个令牌）",
            token_shown,
            token_ok,
            "设置 HOTLINE_API_RATE_PER_TOKEN，如 1200/m",
        ),
        Finding(
            "API_RATE_PER_ADDRESS",
            "接口限流（每个来源地址）",
            address_shown,
            address_ok,
            "设置 HOTLINE_API_RATE_PER_ADDRESS，如 600/m",
        ),
    ]


def deploy_check(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Errors for what production must never run with; warnings for the other weak settings."""
    if settings.DEBUG:
        return []
    out = []
    for f in evaluate():
        if f.ok:
            continue
        cls = checks.Error if f.fatal else checks.Warning
        out.append(cls(f"{f.label}：{f.shown}", hint=f.advice, id=f"hotline.{f.name}"))
    return out


def refusals() -> list[Finding]:
    """The fatal findings that stop `hotline serve` when DEBUG is off."""
    if settings.DEBUG:
        return []
    return [f for f in evaluate() if f.fatal and not f.ok]
