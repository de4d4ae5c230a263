"""Telephony: call platforms and their CTI events, calls, seats, agent states, 回拨, dialing.

A `Call` is never edited by hand: it is derived from all its `CallEvent`s (events.py), so the
same events in any order give the same row. Times are UTC; `day` and `hour` are the local
(Asia/Shanghai) day and hour the call was offered, stored so that the figures group on plain
indexed columns at millions of rows.

The call's numbers are the exception: a stored event keeps no phone number (its `caller` and
`called` are taken out as it is stored, events.py), so that citizens' numbers live only in the
call's encrypted columns, written once per call (issue 18).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from hotline.crypto import EncryptedTextField, PhoneHashField, mask_phone


class DialKind(models.TextChoices):
    LOG = "log", "日志（开发用）"
    HTTP = "http", "签名 HTTP"
    KAMAILIO = "kamailio", "Kamailio"


class CallPlatform(models.Model):
    """A vendor call platform (CTI) that posts signed events and places calls on request."""

    code = models.SlugField("平台编码", max_length=24, unique=True)
    name = models.CharField("平台名称", max_length=100)
    center = models.ForeignKey("orgs.Unit", models.PROTECT, related_name="+", verbose_name="中心")
    # HMAC needs the clear secret on both sides, so it cannot be stored as a hash.
    secret = models.CharField("签名密钥", max_length=128)
    dial_kind = models.CharField(
        "点击外呼方式", max_length=16, choices=DialKind.choices, default=DialKind.LOG
    )
    dial_url = models.URLField("点击外呼地址", max_length=300, blank=True)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = verbose_name_plural = "呼叫平台"

    def __str__(self):
        return f"{self.name} ({self.code})"


class CallQueue(models.Model):
    """A queue or skill group of a center; events name it by `code`."""

    code = models.CharField("队列编码", max_length=32)
    name = models.CharField("队列名称", max_length=100)
    center = models.ForeignKey("orgs.Unit", models.PROTECT, related_name="+", verbose_name="中心")

    class Meta:
        verbose_name = verbose_name_plural = "呼叫队列"
        constraints = [models.UniqueConstraint(fields=["center", "code"], name="uniq_queue")]

    def __str__(self):
        return f"{self.name} ({self.code})"


class Seat(models.Model):
    """A 座席 (position with a phone): events name it by `code`, the phone by `extension`."""

    code = models.CharField("座席号", max_length=32)
    center = models.ForeignKey("orgs.Unit", models.PROTECT, related_name="+", verbose_name="中心")
    extension = models.CharField("SIP 分机", max_length=64, blank=True)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = verbose_name_plural = "座席"
        constraints = [models.UniqueConstraint(fields=["center", "code"], name="uniq_seat")]

    def __str__(self):
        return self.code


class AgentState(models.TextChoices):
    READY = "ready", "就绪"
    BREAK = "break", "小休"
    AFTER_CALL = "after_call", "话后整理"
    ON_CALL = "on_call", "通话中"
    SIGNED_OUT = "signed_out", "签出"


class AgentSession(models.Model):
    """An agent signed in to a seat, from sign-in to sign-out; its current state lives here."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    seat = models.ForeignKey(Seat, models.PROTECT, related_name="sessions", verbose_name="座席")
    center = models.ForeignKey("orgs.Unit", models.PROTECT, related_name="+", verbose_name="中心")
    started_at = models.DateTimeField("签入时间")
    ended_at = models.DateTimeField("签出时间", null=True, blank=True)
    state = models.CharField("状态", max_length=16, choices=AgentState.choices)
    reason = models.CharField("小休原因", max_length=64, blank=True)
    state_since = models.DateTimeField("状态开始")
    # 话后整理 ends by itself at this time unless the agent sets ready earlier.
    after_call_until = models.DateTimeField(null=True, blank=True)
    current_call = models.ForeignKey(
        "Call", models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = verbose_name_plural = "座席签入"
        constraints = [
            models.UniqueConstraint(
                fields=["seat"], condition=Q(ended_at__isnull=True), name="one_session_per_seat"
            ),
            models.UniqueConstraint(
                fields=["user"], condition=Q(ended_at__isnull=True), name="one_session_per_user"
            ),
        ]
        indexes = [models.Index(fields=["center", "ended_at"], name="session_live")]

    def __str__(self):
        return f"{self.user_id}@{self.seat_id}"


class AgentStateChange(models.Model):
    """One change of an agent's state, with its time; append-only (occupancy is read from it)."""

    session = models.ForeignKey(AgentSession, models.PROTECT, related_name="changes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    center = models.ForeignKey("orgs.Unit", models.PROTECT, related_name="+")
    state = models.CharField("状态", max_length=16, choices=AgentState.choices)
    reason = models.CharField("原因", max_length=64, blank=True)
    at = models.DateTimeField("时间")
    call = models.ForeignKey("Call", models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = verbose_name_plural = "座席状态记录"
        indexes = [
            models.Index(fields=["user", "at"], name="agentstate_user_at"),
            models.Index(fields=["center", "at"], name="agentstate_center_at"),
        ]

    def __str__(self):
        return f"{self.user_id} {self.state} {self.at:%Y-%m-%d %H:%M:%S}"


class Direction(models.TextChoices):
    INBOUND = "inbound", "呼入"
    OUTBOUND = "outbound", "外呼"


class CallState(models.TextChoices):
    QUEUED = "queued", "排队中"
    RINGING = "ringing", "振铃"
    TALKING = "talking", "通话中"
    HELD = "held", "保持"
    FINISHED = "finished", "已结束"


class Outcome(models.TextChoices):
    NONE = "", "进行中"
    ANSWERED = "answered", "已接听"
    ABANDONED = "abandoned", "放弃"
    SHORT_ABANDON = "short_abandon", "短时放弃"
    VOICEMAIL = "voicemail", "留言"
    TRANSFERRED = "transferred", "转接"
    OUTBOUND_ANSWERED = "outbound_answered", "外呼接通"
    OUTBOUND_FAILED = "outbound_failed", "外呼未通"


class Call(models.Model):
    """One call as the platform reported it; every field below `offered_at` is derived.

    Its indexes are what the CTI intake pays on every event that moves a call: an update that
    changes no indexed column (answered, held, resumed) is a HOT update that writes no index
    entry, when the page has room (fillfactor, migration 0005). So no index names `state`
    (the intake changes it on every event: `call_live` is bounded by `ended_at`, which moves
    once), and the platform, center and agent have no index of their own: `uniq_call`,
    `call_center_day` and `call_agent_day` lead with them."""

    # db_index=False: uniq_call (platform, platform_call_id) serves the look-ups and deletes.
    platform = models.ForeignKey(CallPlatform, models.PROTECT, related_name="calls", db_index=False)
    platform_call_id = models.CharField("平台通话标识", max_length=128)
    direction = models.CharField(max_length=8, choices=Direction.choices, default="inbound")
    state = models.CharField("状态", max_length=10, choices=CallState.choices, default="queued")
    outcome = models.CharField("结果", max_length=20, choices=Outcome.choices, blank=True)
    # The citizen's number is the caller of an inbound call and the called of an outbound one
    # (回拨, 回访): both SM4-encrypted (hotline/crypto.py), found by the caller's keyed hash.
    caller = EncryptedTextField("主叫号码", max_length=32, blank=True)
    caller_hash = PhoneHashField(source="caller")
    called = EncryptedTextField("被叫号码", max_length=32, blank=True)
    trunk = models.CharField("中继", max_length=64, blank=True)
    queue = models.ForeignKey(CallQueue, models.PROTECT, null=True, blank=True, related_name="+")
    ivr = models.JSONField("IVR 路径", default=list, blank=True)
    # db_index=False: call_center_day and call_agent_day lead with them.
    center = models.ForeignKey(
        "orgs.Unit", models.PROTECT, related_name="+", verbose_name="中心", db_index=False
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    seat = models.ForeignKey(Seat, models.PROTECT, null=True, blank=True, related_name="+")
    offered_at = models.DateTimeField("呼入时间")
    ringing_at = models.DateTimeField("振铃时间", null=True, blank=True)
    answered_at = models.DateTimeField("接听时间", null=True, blank=True)
    ended_at = models.DateTimeField("结束时间", null=True, blank=True)
    day = models.DateField("日期")
    hour = models.PositiveSmallIntegerField("小时")
    wait_seconds = models.PositiveIntegerField("等待秒数", null=True, blank=True)
    talk_seconds = models.PositiveIntegerField("通话秒数", default=0)
    hold_seconds = models.PositiveIntegerField("保持秒数", default=0)
    # Set by the agent's state machine (话后整理 ends), never by the events.
    acw_seconds = models.PositiveIntegerField("话后整理秒数", default=0)
    recording = models.CharField("录音引用", max_length=300, blank=True)
    cause = models.CharField("挂机原因", max_length=64, blank=True)
    transfer_kind = models.CharField("转接类型", max_length=8, blank=True)
    transfer_target = models.CharField("转接目标", max_length=64, blank=True)
    is_error = models.BooleanField("有错误", default=False)
    error_reason = models.CharField("错误原因", max_length=200, blank=True)
    event_count = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)
    tickets = models.ManyToManyField("tickets.Ticket", through="CallTicket", related_name="+")

    class Meta:
        verbose_name = verbose_name_plural = "通话"
        constraints = [
            models.UniqueConstraint(fields=["platform", "platform_call_id"], name="uniq_call")
        ]
        indexes = [
            # Figures: a center's (or an agent's) days and hours.
            models.Index(fields=["center", "day", "hour"], name="call_center_day"),
            models.Index(fields=["agent", "day"], name="call_agent_day"),
            models.Index(fields=["day", "hour"], name="call_day"),
            # Wallboard: the calls still waiting or talking, a few among millions. Bounded by
            # `ended_at` (set with the `finished` state, derive.py), not by `state`.
            models.Index(fields=["center"], condition=Q(ended_at=None), name="call_live"),
            models.Index(fields=["offered_at"], name="call_offered"),
            # Repeat callers: a number's calls in a window (history.caller_history).
            models.Index(fields=["caller_hash", "offered_at"], name="call_caller_hash"),
        ]

    def __str__(self):
        return f"{self.platform_id}:{self.platform_call_id}"


class LinkKind(models.TextChoices):
    REGISTERED = "registered", "来电受理"
    CONTINUED = "continued", "补充/催办"


class CallTicket(models.Model):
    """A ticket registered on a call, or an earlier ticket the call continued (补充/催办)."""

    call = models.ForeignKey(Call, models.CASCADE, related_name="links")
    ticket = models.ForeignKey("tickets.Ticket", models.CASCADE, related_name="call_links")
    kind = models.CharField(max_length=12, choices=LinkKind.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = verbose_name_plural = "通话关联工单"
        constraints = [models.UniqueConstraint(fields=["call", "ticket"], name="uniq_call_ticket")]

    def __str__(self):
        return f"{self.call_id}→{self.ticket_id} {self.kind}"


class EventType(models.TextChoices):
    OFFERED = "offered", "呼入排队"
    OUTBOUND = "outbound", "外呼发起"
    RINGING = "ringing", "振铃"
    ANSWERED = "answered", "接听"
    HELD = "held", "保持"
    RESUMED = "resumed", "恢复"
    TRANSFERRED = "transferred", "转接"
    VOICEMAIL = "voicemail", "留言"
    ABANDONED = "abandoned", "放弃"
    ENDED = "ended", "挂机"


class CallEvent(models.Model):
    """One event as the platform sent it, kept whole; `error` says why it could not be used."""

    # db_index=False: uniq_call_event (platform, event_id) leads with it.
    platform = models.ForeignKey(CallPlatform, models.PROTECT, related_name="+", db_index=False)
    event_id = models.CharField(max_length=128)
    platform_call_id = models.CharField(max_length=128)
    call = models.ForeignKey(Call, models.CASCADE, related_name="events")
    type = models.CharField(max_length=12, choices=EventType.choices)
    at = models.DateTimeField()
    payload = models.JSONField()
    received_at = models.DateTimeField()
    error = models.CharField("错误", max_length=32, blank=True)
    error_message = models.CharField("错误说明", max_length=200, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "CTI 事件"
        constraints = [
            models.UniqueConstraint(fields=["platform", "event_id"], name="uniq_call_event")
        ]
        indexes = [
            models.Index(fields=["error"], condition=~Q(error=""), name="callevent_error"),
        ]

    def __str__(self):
        return f"{self.event_id} {self.type}"


class RejectReason(models.TextChoices):
    UNSIGNED = "unsigned", "未签名"
    UNKNOWN_PLATFORM = "unknown_platform", "未知平台"
    STALE = "stale", "时间戳过期"
    REPLAYED = "replayed", "重放"
    BAD_SIGNATURE = "bad_signature", "签名错误"
    MALFORMED = "malformed", "格式错误"


class RejectedRequest(models.Model):
    """How many requests were refused, per platform code and reason (the only write a refusal
    makes)."""

    platform_code = models.CharField("平台编码", max_length=64)
    reason = models.CharField("原因", max_length=20, choices=RejectReason.choices)
    count = models.PositiveBigIntegerField("次数", default=0)
    last_at = models.DateTimeField("最近一次")

    class Meta:
        verbose_name = verbose_name_plural = "被拒请求"
        constraints = [
            models.UniqueConstraint(fields=["platform_code", "reason"], name="uniq_rejected")
        ]

    def __str__(self):
        return f"{self.platform_code} {self.reason} ×{self.count}"


class SeenSignature(models.Model):
    """Signatures accepted within the freshness window, so that a replay is refused."""

    platform = models.ForeignKey(CallPlatform, models.CASCADE, related_name="+")
    signature = models.CharField(max_length=64)
    at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["platform", "signature"], name="uniq_signature")
        ]

    def __str__(self):
        return self.signature[:12]


class CallbackStatus(models.TextChoices):
    OPEN = "open", "待回拨"
    ATTEMPTING = "attempting", "回拨中"
    DONE = "done", "已回拨"
    UNREACHABLE = "unreachable", "无法联系"


class CallbackItem(models.Model):
    """回拨: a citizen who hung up while waiting, or left a message, is called back in time."""

    call = models.OneToOneField(Call, models.CASCADE, related_name="callback")
    center = models.ForeignKey("orgs.Unit", models.PROTECT, related_name="+", verbose_name="中心")
    number = EncryptedTextField("号码", max_length=32)
    reason = models.CharField("来源", max_length=20, choices=Outcome.choices)
    created_at = models.DateTimeField("创建时间")
    due_at = models.DateTimeField("回拨时限")
    status = models.CharField(
        "状态", max_length=12, choices=CallbackStatus.choices, default=CallbackStatus.OPEN
    )
    attempts = models.PositiveSmallIntegerField("回拨次数", default=0)
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )
    taken_at = models.DateTimeField(null=True, blank=True)
    outcome_note = models.CharField("结果说明", max_length=500, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )
    done_at = models.DateTimeField(null=True, blank=True)
    # When the center was told the item is past its time limit (once; callbacks.warn_overdue).
    overdue_notified_at = models.DateTimeField("超时提醒时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "回拨队列"
        indexes = [models.Index(fields=["center", "status", "due_at"], name="callback_queue")]

    def __str__(self):
        return f"{mask_phone(self.number)} {self.status}"


class DialPurpose(models.TextChoices):
    CALLBACK = "callback", "回拨"
    TICKET = "ticket", "工单回访"


class DialStatus(models.TextChoices):
    REQUESTED = "requested", "已请求"
    SENT = "sent", "已发送"
    FAILED = "failed", "发送失败"
    ANSWERED = "answered", "已接通"
    NOT_ANSWERED = "not_answered", "未接通"


class DialRequest(models.Model):
    """Click-to-dial: the product asks the platform to connect an agent's phone to a number."""

    request_id = models.CharField(max_length=32, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    platform = models.ForeignKey(CallPlatform, models.PROTECT, related_name="+")
    seat = models.ForeignKey(Seat, models.PROTECT, related_name="+")
    number = EncryptedTextField("号码", max_length=32)
    purpose = models.CharField(max_length=12, choices=DialPurpose.choices)
    callback = models.ForeignKey(
        CallbackItem, models.CASCADE, null=True, blank=True, related_name="dials"
    )
    ticket = models.ForeignKey(
        "tickets.Ticket", models.CASCADE, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=16, choices=DialStatus.choices, default="requested")
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()
    call = models.ForeignKey(Call, models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = verbose_name_plural = "点击外呼"

    def __str__(self):
        return f"{self.request_id} {mask_phone(self.number)}"


class FigureSums(models.Model):
    """The measures the call figures are computed from (rollup.MEASURES), summed over calls."""

    offered = models.IntegerField(default=0)
    answered = models.IntegerField(default=0)
    within_t = models.IntegerField(default=0)
    short_abandons = models.IntegerField(default=0)
    abandoned = models.IntegerField(default=0)
    voicemail = models.IntegerField(default=0)
    wait_total = models.BigIntegerField(default=0)
    handle_total = models.BigIntegerField(default=0)
    acw_total = models.BigIntegerField(default=0)

    class Meta:
        abstract = True


class CenterHourFigures(FigureSums):
    """The call figures' sums per center and local day and hour (rollup.py keeps them in the
    same transaction as the calls): a month of every center is a few thousand rows, not the
    hundreds of thousands of calls behind them."""

    center = models.ForeignKey("orgs.Unit", models.CASCADE, related_name="+")
    day = models.DateField()
    hour = models.PositiveSmallIntegerField()

    class Meta:
        verbose_name = verbose_name_plural = "话务指标（中心·小时）"
        constraints = [
            models.UniqueConstraint(fields=["center", "day", "hour"], name="uniq_center_hour_fig")
        ]
        indexes = [models.Index(fields=["day"], name="center_hour_fig_day")]

    def __str__(self):
        return f"{self.center_id} {self.day} {self.hour}h"


class AgentDayFigures(FigureSums):
    """The same sums per agent, center and local day (the agents' figures)."""

    agent = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="+")
    center = models.ForeignKey("orgs.Unit", models.CASCADE, related_name="+")
    day = models.DateField()

    class Meta:
        verbose_name = verbose_name_plural = "话务指标（座席·日）"
        constraints = [
            models.UniqueConstraint(fields=["agent", "center", "day"], name="uniq_agent_day_fig")
        ]
        indexes = [models.Index(fields=["center", "day"], name="agent_day_fig_center")]

    def __str__(self):
        return f"{self.agent_id}@{self.center_id} {self.day}"


class FiguresState(models.Model):
    """One row: the service-level T the rollup's `within_t` was counted with. When the
    setting differs (T changed, no rebuild yet) the figures are read from the calls."""

    service_level_seconds = models.PositiveIntegerField()
    built_at = models.DateTimeField()

    class Meta:
        verbose_name = verbose_name_plural = "话务指标汇总状态"

    def __str__(self):
        return f"T={self.service_level_seconds}s"
