"""The group robots' webhook formats, their signatures, and one POST with a timeout (stdlib only).

No Flask and no database here: :func:`request_for` turns a text into the
request a robot expects, :func:`post` sends it and says what went wrong.
The formats are the vendors' public ones:

- 企业微信群机器人 (WeCom group robot), "群机器人配置说明",
  https://developer.work.weixin.qq.com/document/path/99398 : a JSON POST
  ``{"msgtype": "text", "text": {"content": ...}}`` to the robot's URL
  (``.../cgi-bin/webhook/send?key=KEY``); content at most 2048 bytes, UTF-8;
  the answer is ``{"errcode": 0, "errmsg": "ok"}``. No signing: the key in the
  URL is the credential. At most 20 messages a minute per robot (45009 beyond).
- 钉钉自定义机器人 (DingTalk custom robot), "自定义机器人安全设置 · 加签",
  https://open.dingtalk.com/document/robots/customize-robot-security-settings :
  the same ``{"msgtype": "text", "text": {"content": ...}}`` body; with a
  signing secret (``SEC...``) the URL gets ``&timestamp=MS&sign=SIGN``, where
  SIGN = urlencode(base64(HMAC-SHA256(key=secret, msg="MS\\nsecret"))) and MS
  is the time in milliseconds (within an hour of the server's clock); the
  answer is ``{"errcode": 0, "errmsg": "ok"}``.
- 飞书自定义机器人 (Feishu custom bot), "自定义机器人使用指南",
  https://open.feishu.cn/document/client-docs/bot-v3/add-custom-bot : a JSON
  POST ``{"msg_type": "text", "content": {"text": ...}}``; with 签名校验 the
  body also carries ``"timestamp": "S"`` (seconds) and ``"sign": SIGN``, where
  SIGN = base64(HMAC-SHA256(key="S\\nsecret", msg=b"")) (the key is the string
  to sign, the message empty: not DingTalk's way round); the answer is
  ``{"code": 0, "msg": "success"}`` (19021: a sign mismatch or a stale timestamp).
- generic: ``{"event": ..., "text": ..., "key": ..., "sent_at": ...}`` to any
  URL; with a secret, ``X-Kiosk-Timestamp`` (seconds) and ``X-Kiosk-Signature:
  sha256=HEX`` of HMAC-SHA256(key=secret, msg="S." + body). Any 2xx is taken.

A robot answers HTTP 200 with an error code in the body when it refuses a
message (a wrong key, a bad signature, too many messages): that is a failure
too, kept with the robot's own code and words.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from ..domain.errors import DomainError, N_

WECOM, DINGTALK, FEISHU, GENERIC = "wecom", "dingtalk", "feishu", "generic"

#: WeCom's limit for a text message's content (bytes of UTF-8); the others allow more
MAX_CONTENT_BYTES = 2048

UNREACHABLE = N_("Could not reach %(host)s: %(detail)s")
HTTP_STATUS = N_("%(host)s answered HTTP %(status)s.")
ROBOT_REFUSED = N_("The robot refused the message: %(code)s %(detail)s")
NOT_JSON = N_("%(host)s did not answer as a robot does (not JSON).")


@dataclass(frozen=True)
class WebhookRequest:
    url: str
    body: bytes
    headers: dict[str, str]


def clip(text: str, limit: int = MAX_CONTENT_BYTES) -> str:
    """``text`` cut to ``limit`` bytes of UTF-8 on a character boundary (with … when cut)."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[:limit - 3].decode("utf-8", errors="ignore") + "…"


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's 加签: base64 HMAC-SHA256 of "timestamp\\nsecret" keyed by the secret (not yet URL-encoded)."""
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode("utf-8"), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """Feishu's 签名校验: base64 HMAC-SHA256 keyed by "timestamp\\nsecret" of an empty message."""
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode("utf-8"), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def generic_sign(secret: str, timestamp_s: int, body: bytes) -> str:
    return hmac.new(secret.encode("utf-8"), f"{timestamp_s}.".encode("ascii") + body, hashlib.sha256).hexdigest()


def _with_query(url: str, **params: str) -> str:
    parts = urllib.parse.urlsplit(url)
    query = parts.query + ("&" if parts.query else "") + urllib.parse.urlencode(params)
    return urllib.parse.urlunsplit(parts._replace(query=query))


def request_for(kind: str, url: str, text: str, *, secret: str = "", now: dt.datetime,
                event: str = "", key: str = "") -> WebhookRequest:
    """The request ``kind``'s robot expects for ``text``, signed with ``secret`` when there is one."""
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "uniform-room-kiosk"}
    seconds = int(now.timestamp())
    if kind in (WECOM, DINGTALK):
        payload: dict = {"msgtype": "text", "text": {"content": clip(text)}}
        if kind == DINGTALK and secret:
            millis = int(now.timestamp() * 1000)
            url = _with_query(url, timestamp=str(millis), sign=dingtalk_sign(secret, millis))
    elif kind == FEISHU:
        payload = {"msg_type": "text", "content": {"text": clip(text, 18 * 1024)}}
        if secret:
            payload = {"timestamp": str(seconds), "sign": feishu_sign(secret, seconds), **payload}
    elif kind == GENERIC:
        payload = {"event": event, "key": key, "text": text, "sent_at": now.isoformat()}
    else:
        raise ValueError(f"unknown webhook kind {kind!r}")
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    if kind == GENERIC and secret:
        headers["X-Kiosk-Timestamp"] = str(seconds)
        headers["X-Kiosk-Signature"] = "sha256=" + generic_sign(secret, seconds, body)
    return WebhookRequest(url=url, body=body, headers=headers)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A webhook that redirects is not answering: a POST turned into a GET would lose the message."""

    def redirect_request(self, *args, **kwargs):  # noqa: D401 - urllib's hook
        return None


def host_of(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return parts.hostname or "?"


def _robot_error(kind: str, answer: bytes, host: str) -> DomainError | None:
    """The refusal a robot wrote in a 200 answer, or None when it took the message."""
    if kind == GENERIC:
        return None
    try:
        data = json.loads(answer.decode("utf-8") or "{}")
    except (UnicodeDecodeError, ValueError):
        return DomainError(NOT_JSON, host=host)
    if not isinstance(data, dict):
        return DomainError(NOT_JSON, host=host)
    if kind == FEISHU:
        code = data.get("code", data.get("StatusCode", 0))
        detail = data.get("msg", data.get("StatusMessage", ""))
    else:
        code, detail = data.get("errcode", 0), data.get("errmsg", "")
    if code in (0, "0", None):
        return None
    return DomainError(ROBOT_REFUSED, code=str(code), detail=str(detail)[:200])


def post(kind: str, request: WebhookRequest, *, timeout: float) -> None:
    """POST ``request``; raises DomainError with the reason when it was not taken.

    Every network problem (refused, timed out, a name that does not resolve, a
    TLS error), an answer other than 2xx and a robot's refusal are errors.
    """
    host = host_of(request.url)
    opener = urllib.request.build_opener(_NoRedirect)
    outgoing = urllib.request.Request(request.url, data=request.body, headers=request.headers, method="POST")
    try:
        with opener.open(outgoing, timeout=timeout) as answer:
            body = answer.read(64 * 1024)
            status = answer.status
    except urllib.error.HTTPError as error:
        error.close()
        raise DomainError(HTTP_STATUS, host=host, status=str(error.code)) from None
    except (urllib.error.URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        raise DomainError(UNREACHABLE, host=host, detail=str(reason)[:200] or type(error).__name__) from None
    if not 200 <= status < 300:
        raise DomainError(HTTP_STATUS, host=host, status=str(status))
    refused = _robot_error(kind, body, host)
    if refused is not None:
        raise refused
