"""Click-to-dial through Kamailio (deploy/kamailio/kamailio.cfg) over its JSON-RPC.

`CallPlatform.dial_url` is Kamailio's JSON-RPC address with the SIP address it serves, e.g.
`http://127.0.0.1:5071/RPC?sip=10.0.0.5:5060`. The dialer first asks whether the agent's phone
(its seat extension, or the seat code) is registered, so that a phone that is off is said at
once instead of a call that never comes; then `dlg.bridge_dlg` makes Kamailio call the agent's
phone and refer it to the citizen's number. That second leg carries the request id as the
`hotline_req` URI parameter, which Kamailio strips and reports in the call's `outbound` events.
"""

import json
import re
import urllib.error
import urllib.parse
import urllib.request

from hotline.calls.dialing import Dialer, DialFailed, register

# What may stand in a SIP URI's user part here: digits (a leading + too) and a seat code.
NUMBER = re.compile(r"^\+?[0-9]{3,20}$")
EXTENSION = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
REQUEST_ID = re.compile(r"^[A-Za-z0-9]{1,32}$")


@register
class KamailioDialer(Dialer):
    kind = "kamailio"
    timeout = 5

    def endpoint(self) -> tuple[str, str]:
        """(JSON-RPC URL, SIP host:port) from the platform's dial URL."""
        url = urllib.parse.urlsplit(self.platform.dial_url or "")
        sip = urllib.parse.parse_qs(url.query).get("sip", [""])[0]
        if url.scheme not in ("http", "https") or not url.netloc or not sip:
            raise DialFailed(
                "平台点击外呼地址应为 http://主机:端口/RPC?sip=主机:端口",
                "the dial URL must be http://host:port/RPC?sip=host:port",
            )
        return urllib.parse.urlunsplit((url.scheme, url.netloc, url.path, "", "")), sip

    def call(self, url: str, method: str, *params):
        body = json.dumps({"jsonrpc": "2.0", "method": method, "params": params, "id": 1})
        req = urllib.request.Request(
            url, data=body.encode(), headers={"Content-Type": "application/json"}, method="POST"
        )
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:  # noqa: S310
                answer = json.loads(resp.read() or b"{}")
        except urllib.error.HTTPError as exc:
            # Kamailio answers a JSON-RPC error with HTTP 500 and the error in the body.
            try:
                answer = json.loads(exc.read() or b"{}")
            except ValueError:
                answer = {}
            if "error" not in answer:
                raise DialFailed(
                    f"Kamailio 返回 HTTP {exc.code}", f"Kamailio answered HTTP {exc.code}"
                ) from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise DialFailed(
                f"无法连接 Kamailio：{exc}", f"Kamailio is unreachable: {exc}"
            ) from None
        return answer

    def dial(self, request) -> None:
        rpc_url, sip = self.endpoint()
        extension = request.seat.extension or request.seat.code
        if not EXTENSION.match(extension):
            raise DialFailed("座席分机号不正确", f"the seat's extension {extension!r} is not valid")
        if not NUMBER.match(request.number) or not REQUEST_ID.match(request.request_id):
            raise DialFailed("外呼号码不正确", "the number is not valid")
        found = self.call(rpc_url, "ul.lookup", "location", extension)
        if "error" in found:
            raise DialFailed(
                f"座席话机（分机 {extension}）未注册，请检查话机",
                f"the seat's phone (extension {extension}) is not registered",
            )
        agent = f"sip:{extension}@{sip}"
        citizen = f"sip:{request.number}@{sip};hotline_req={request.request_id}"
        answer = self.call(rpc_url, "dlg.bridge_dlg", agent, citizen, ".")
        if "error" in answer:
            message = answer["error"].get("message", "")
            raise DialFailed(f"Kamailio 拒绝外呼：{message}", f"Kamailio refused: {message}")
