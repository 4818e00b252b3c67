"""WeChat official account (公众号) channel for Rasa.

`WeChatInput` receives the messages WeChat pushes to the server URL (plain or safe mode;
signatures, decryption, XML and replies are wechatpy's), sends text to Rasa and answers with a
passive reply inside WeChat's 5-second limit; an answer that takes longer is delivered later
through the customer-service API. `WeChatOutput` sends proactive messages (reminders) through
the customer-service API, which WeChat only allows within 48 hours of the user's last message.
See docs/wechat.md.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Dict, Iterable, List, Optional, Protocol, Text
from xml.parsers.expat import ExpatError

from rasa.core.channels.channel import (
    CollectingOutputChannel,
    InputChannel,
    OutputChannel,
    UserMessage,
)
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from wechatpy import create_reply, parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import (
    InvalidAppIdException,
    InvalidSignatureException,
    WeChatClientException,
)

from bot.channels.wechat_photos import PhotoUploads, photo_hint
from bot.channels.wechat_support import (
    MAX_TEXT_BYTES,
    TTLCache,
    clean_xml_text,
    option_number,
    passive_parts,
    render_messages,
    split_text,
    user_ref,
)
from bot.channels.wechat_guard import WINDOW, encrypted_part, fresh, shared_store, signature_ok
from bot.parsing.masking import mask_text

logger = logging.getLogger(__name__)

CHANNEL = "wechat"

UNSUPPORTED_TEXT = (
    "抱歉，这里目前只能处理文字消息（语音请开启语音转文字后再发）。"
    "需要提交材料时，请在办理申请的对话中使用助手发给您的上传链接上传（支持 PDF、JPG、PNG），"
    "不要直接在公众号里发送图片或文件。您可以直接用文字描述您的问题。"
)
ERROR_TEXT = "抱歉，系统暂时出了点问题，请稍后再试。"
FORGED_TEXT = "签名校验失败"
PLAIN_IN_SAFE_MODE_TEXT = "未加密的消息：本服务只接受安全模式的消息"
NO_KEY_TEXT = "收到加密消息，但服务端未配置 EncodingAESKey"
BAD_XML_TEXT = "消息格式错误"
DECRYPT_FAILED_TEXT = "消息解密失败"
TOO_LARGE_TEXT = "消息过大"
DISABLED_TEXT = "公众号渠道未配置"
STALE_TEXT = "请求已过期"
REPLAY_TEXT = "重复的请求"

# WeChat errcodes worth naming in the log when a customer-service message is refused.
_CS_ERRORS = {
    45015: "超过48小时客服消息时限 (48-hour window closed)",
    45047: "客服消息条数超限 (too many customer-service messages)",
    48001: "没有客服消息接口权限 (API not authorised for this account)",
    40003: "openid 无效 (invalid openid)",
    43004: "用户未关注公众号 (user not following)",
}

CONSENT_PAYLOAD = "/consent_notices"


def accepted_templates(message: Any) -> List[str]:
    """The subscribe-message templates a 公众号 user accepted in WeChat's popup
    (`subscribe_msg_popup_event`: one or several <List> entries, SubscribeStatusString accept)."""
    popup = (getattr(message, "_data", None) or {}).get("SubscribeMsgPopupEvent") or {}
    entries = popup.get("List") if isinstance(popup, dict) else None
    if isinstance(entries, dict):
        entries = [entries]
    out = []
    for e in entries or []:
        if isinstance(e, dict) and str(e.get("SubscribeStatusString") or "").lower() == "accept":
            template = str(e.get("TemplateId") or "").strip()
            if template and len(template) <= 100:
                out.append(template)
    return out


class CustomerServiceSender(Protocol):
    """What the channel needs from WeChat's customer-service API (tests use a fake)."""

    async def send_text(self, openid: str, text: str) -> None:
        ...


class WeChatClientSender:
    """`CustomerServiceSender` over wechatpy's `WeChatClient.message.send_text`.

    wechatpy is synchronous (requests), so calls run in a worker thread. The client fetches
    and caches the access token itself on first use; nothing touches the network before that.
    """

    def __init__(self, app_id: str, app_secret: str, client: Any = None, timeout: float = 10):
        if client is None:
            from wechatpy import WeChatClient

            from bot.wechat_tokens import shared_storage

            # the access token shared with the case store's notice sender (one valid token per app)
            client = WeChatClient(app_id, app_secret, timeout=timeout, session=shared_storage())
        self.client = client

    async def send_text(self, openid: str, text: str) -> None:
        await asyncio.to_thread(self.client.message.send_text, openid, text)


def _describe_error(error: BaseException) -> str:
    if isinstance(error, WeChatClientException):
        hint = _CS_ERRORS.get(int(error.errcode or 0), "")
        return f"errcode={error.errcode} {hint or error.errmsg}"
    return type(error).__name__


class WeChatOutput(OutputChannel):
    """Proactive messages (reminders, late answers) through the customer-service API.

    WeChat accepts these only within 48 hours of the user's last message to the account
    (errcode 45015 afterwards) and only a few per user message; a reminder outside that
    window needs a subscribe/template message the user consented to, which this channel
    does not send. Failures are logged, never raised, so a reminder cannot break a dialogue.
    """

    def __init__(
        self,
        sender: CustomerServiceSender,
        buttons: Optional[TTLCache[Dict[str, str]]] = None,
        max_bytes: int = MAX_TEXT_BYTES,
    ) -> None:
        self.sender = sender
        self.buttons = buttons
        self.max_bytes = max_bytes

    @classmethod
    def name(cls) -> Text:
        return CHANNEL

    async def deliver(self, openid: str, parts: Iterable[str], delay: float = 0.0) -> bool:
        """Send the parts in order; stop at the first refusal. True when all were sent."""
        if delay > 0:
            await asyncio.sleep(delay)
        count = 0
        for part in parts:
            try:
                await self.sender.send_text(openid, part)
            except Exception as error:  # network, errcode: log and give up on the rest
                logger.warning(
                    "wechat: customer-service message to %s failed after %d part(s): %s",
                    user_ref(openid), count, _describe_error(error),
                )
                return False
            count += 1
        if count:
            logger.info("wechat: %d customer-service message(s) sent to %s", count, user_ref(openid))
        return True

    async def send_messages(self, openid: str, messages: List[Dict[str, Any]]) -> bool:
        text, options = render_messages(messages)
        if options and self.buttons is not None:
            self.buttons.set(openid, options)
        return await self.deliver(openid, split_text(text, self.max_bytes))

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        await self.send_messages(recipient_id, [message])

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        await self.send_messages(recipient_id, [{"text": text}])

    async def send_text_with_buttons(
        self, recipient_id: Text, text: Text, buttons: List[Dict[Text, Any]], **kwargs: Any
    ) -> None:
        await self.send_messages(recipient_id, [{"text": text, "buttons": buttons}])

    async def send_image_url(self, recipient_id: Text, image: Text, **kwargs: Any) -> None:
        await self.send_messages(recipient_id, [{"image": image}])

    async def send_attachment(self, recipient_id: Text, attachment: Text, **kwargs: Any) -> None:
        await self.send_messages(recipient_id, [{"attachment": attachment}])


class _ReplyCollector(CollectingOutputChannel):
    """Collects the bot's messages for one user message. Once the reply has been rendered
    (sealed), anything Rasa still sends on it (e.g. a reminder scheduled during this
    message) goes out through the customer-service API instead of being lost."""

    def __init__(self, late: WeChatOutput) -> None:
        super().__init__()
        self.late = late
        self.sealed = False

    @classmethod
    def name(cls) -> Text:
        return CHANNEL

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        if self.sealed:
            await self.late.send_response(recipient_id, message)
        else:
            self.messages.append(dict(message))

    async def _persist_message(self, message: Dict[Text, Any]) -> None:
        if self.sealed:
            await self.late.send_response(message.get("recipient_id", ""), message)
        else:
            self.messages.append(message)


@dataclass
class _Job:
    """One WeChat message on its way through Rasa. state: waiting (the first request is
    waiting for Rasa), passive (answered in the HTTP reply), background (answered later
    through the customer-service API)."""

    openid: str
    collector: _ReplyCollector
    task: Optional["asyncio.Task[None]"] = None
    state: str = "waiting"
    reply: Optional[str] = None


class WeChatInput(InputChannel):
    """Rasa input channel for a WeChat official account (`name() == "wechat"`)."""

    @classmethod
    def name(cls) -> Text:
        return CHANNEL

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "WeChatInput":
        if not credentials:
            cls.raise_missing_credentials_exception()
        required = ("token", "app_id", "app_secret")
        missing = [k for k in required if not str(credentials.get(k) or "").strip()]
        if len(missing) == len(required):
            # e.g. WECHAT_* set to "" on a developer machine: keep Rasa starting.
            logger.warning("wechat channel: no token, app_id, app_secret configured; channel disabled")
            return cls("", "", "", enabled=False)
        if missing:
            raise ValueError(f"wechat channel: credentials.yml lacks {', '.join(missing)}")
        options = {
            key: float(credentials[key])
            for key in ("reply_timeout", "followup_delay", "dedup_ttl", "buttons_ttl")
            if credentials.get(key) not in (None, "")
        }
        return cls(
            token=str(credentials["token"]).strip(),
            app_id=str(credentials["app_id"]).strip(),
            app_secret=str(credentials["app_secret"]).strip(),
            encoding_aes_key=str(credentials.get("encoding_aes_key") or "").strip() or None,
            **options,
        )

    def __init__(
        self,
        token: str,
        app_id: str,
        app_secret: str,
        encoding_aes_key: Optional[str] = None,
        reply_timeout: float = 4.5,
        followup_delay: float = 0.5,
        dedup_ttl: float = 300,
        dedup_max: int = 10_000,
        buttons_ttl: float = 1800,
        buttons_max: int = 50_000,
        welcome_text: str = "你好",
        max_body_bytes: int = 256 * 1024,
        sender: Optional[CustomerServiceSender] = None,
        enabled: bool = True,
    ) -> None:
        self.enabled = enabled
        if not 0 < reply_timeout < 5:
            raise ValueError("wechat channel: reply_timeout must be between 0 and 5 seconds")
        self.token = token
        self.app_id = app_id
        self.crypto: Optional[WeChatCrypto] = None
        if encoding_aes_key:
            try:
                self.crypto = WeChatCrypto(token, encoding_aes_key, app_id)
            except Exception as error:  # wrong length or not base64
                raise ValueError(
                    "wechat channel: encoding_aes_key must be the 43-character EncodingAESKey "
                    "from the official account's server settings"
                ) from error
        self.reply_timeout = float(reply_timeout)
        self.followup_delay = float(followup_delay)
        self.welcome_text = welcome_text
        self.max_body_bytes = int(max_body_bytes)
        self.jobs: TTLCache[_Job] = TTLCache(dedup_ttl, dedup_max)
        self.buttons: TTLCache[Dict[str, str]] = TTLCache(buttons_ttl, buttons_max)
        self.output = WeChatOutput(sender or WeChatClientSender(app_id, app_secret), self.buttons)
        # A photo sent while a material is pending becomes its upload (bot/channels/wechat_photos.py).
        self.photos = PhotoUploads(getattr(self.output.sender, "client", None))
        self._tasks: set = set()
        self._seen = None  # shared storage (bot/channels/wechat_guard.py), opened when first needed

    # -- Rasa hooks -------------------------------------------------------------------

    def get_output_channel(self) -> Optional[OutputChannel]:
        return self.output

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        from bot.channels.limits import guard

        on_new_message = guard(on_new_message)  # 2,000-character cap, apology when an action fails
        bp = Blueprint("wechat_webhook", __name__)

        @bp.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok" if self.enabled else "disabled"})

        @bp.route("/webhook", methods=["GET"])
        async def verify(request: Request) -> HTTPResponse:
            if not self.enabled:
                return response.text(DISABLED_TEXT, status=503)
            return self._verify(request)

        @bp.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not self.enabled:
                return response.text(DISABLED_TEXT, status=503)
            try:
                return await self._receive(request, on_new_message)
            except Exception:  # never let WeChat see a trace; "success" stops its retries
                logger.exception("wechat: unexpected error while handling a message")
                return response.text("success")

        return bp

    # -- HTTP -------------------------------------------------------------------------

    def seen(self):
        if self._seen is None:
            self._seen = shared_store()
        return self._seen

    def _verify(self, request: Request) -> HTTPResponse:
        args = request.args
        if not signature_ok((self.token, args.get("timestamp", ""), args.get("nonce", "")), args.get("signature", "")):
            logger.warning("wechat: server verification with a wrong signature")
            return response.text(FORGED_TEXT, status=403)
        logger.info("wechat: server verification passed")
        return response.text(args.get("echostr", ""))

    def _unwrap(self, request: Request) -> "str | HTTPResponse":
        """The message XML, or the error response for a forged / broken request."""
        args = request.args
        body = request.body or b""
        timestamp, nonce = args.get("timestamp", ""), args.get("nonce", "")
        if len(body) > self.max_body_bytes:
            return response.text(TOO_LARGE_TEXT, status=400)
        encrypted = (args.get("encrypt_type") or "").lower() == "aes"
        if self.crypto is None:
            if not signature_ok((self.token, timestamp, nonce), args.get("signature", "")):
                logger.warning("wechat: message with a wrong signature rejected")
                return response.text(FORGED_TEXT, status=403)
            refused = self._replay_check(timestamp, nonce, body)
            if refused is not None:
                return refused
            if encrypted:
                logger.warning("wechat: encrypted message but no encoding_aes_key configured")
                return response.text(NO_KEY_TEXT, status=400)
            return body.decode("utf-8", errors="replace")
        if not encrypted:
            logger.warning("wechat: plain message rejected in safe mode")
            return response.text(PLAIN_IN_SAFE_MODE_TEXT, status=403)
        text = body.decode("utf-8", errors="replace")
        cipher = encrypted_part(text)
        if cipher is None:
            return response.text(BAD_XML_TEXT, status=400)
        if not signature_ok((self.token, timestamp, nonce, cipher), args.get("msg_signature", "")):
            logger.warning("wechat: encrypted message with a wrong signature rejected")
            return response.text(FORGED_TEXT, status=403)
        refused = self._replay_check(timestamp, nonce, body)
        if refused is not None:
            return refused
        try:
            return self.crypto.decrypt_message(body, args.get("msg_signature", ""), timestamp, nonce)
        except (InvalidSignatureException, InvalidAppIdException):
            logger.warning("wechat: encrypted message with a wrong signature or app id rejected")
            return response.text(FORGED_TEXT, status=403)
        except (ExpatError, KeyError, TypeError):
            return response.text(BAD_XML_TEXT, status=400)
        except Exception as error:  # bad base64, padding, length...
            logger.warning("wechat: decryption failed (%s)", type(error).__name__)
            return response.text(DECRYPT_FAILED_TEXT, status=400)

    def _replay_check(self, timestamp: str, nonce: str, body: bytes) -> Optional[HTTPResponse]:
        """403 for a timestamp outside the 300-second window or a nonce seen with another body."""
        import hashlib

        if not fresh(timestamp):
            logger.warning("security: wechat message with a stale timestamp refused")
            return response.text(STALE_TEXT, status=403)
        digest = hashlib.sha256(body).hexdigest()
        key = f"nonce:{timestamp}:{nonce}"
        if not self.seen().claim(key, digest, ttl=2 * WINDOW) and self.seen().get(key) != digest:
            logger.warning("security: wechat nonce replayed with another body, refused")
            return response.text(REPLAY_TEXT, status=403)
        return None

    async def _receive(
        self, request: Request, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> HTTPResponse:
        started = time.monotonic()
        xml = self._unwrap(request)
        if isinstance(xml, HTTPResponse):
            return xml
        try:
            message = parse_message(xml)
            openid = message.source if message is not None else None
        except Exception:  # ExpatError, a missing <xml> or <MsgType>...
            message, openid = None, None
        if message is None or not openid:
            logger.warning("wechat: malformed message XML rejected")
            return response.text(BAD_XML_TEXT, status=400)
        text = await self._handle(message, on_new_message, started, getattr(request.app.ctx, "agent", None))
        return self._reply(text, message, request.args.get("nonce", ""))

    def _reply(self, text: Optional[str], message: Any, nonce: str) -> HTTPResponse:
        if not text:
            return response.text("success")
        xml = create_reply(clean_xml_text(text), message=message, render=True)
        if self.crypto is not None:
            xml = self.crypto.encrypt_message(xml, nonce)
        return response.text(xml, content_type="application/xml; charset=utf-8")

    # -- messages ---------------------------------------------------------------------

    @staticmethod
    def _raw(message: Any, field: str) -> str:
        """A field as sent (wechatpy's typed accessors raise on a malformed number)."""
        return str(message._data.get(field) or "").strip()

    def _incoming(self, message: Any) -> "tuple[Optional[str], Optional[str], str]":
        """(text for Rasa, direct reply, dedup key) for a parsed WeChat message.

        Messages are deduplicated by MsgId, events by sender + CreateTime (WeChat's advice)."""
        created = self._raw(message, "CreateTime")
        if self._raw(message, "MsgType").lower() == "event":
            event = self._raw(message, "Event").lower()
            key = f"event:{message.source}:{created}:{event}"
            if event in ("subscribe", "subscribe_scan"):
                return self.welcome_text, None, key
            if event == "click" and self._raw(message, "EventKey"):
                return self._raw(message, "EventKey"), None, key
            if event == "subscribe_msg_popup_event" and accepted_templates(message):
                # the user allowed subscribe messages: consent to notices, as 「办理进度也通知我」
                return CONSENT_PAYLOAD, None, key
            return None, None, key  # unsubscribe, menu links, location, template results...
        msg_id = self._raw(message, "MsgId")
        key = f"msg:{msg_id}" if msg_id else f"msg:{message.source}:{created}"
        if message.type == "text":
            return str(message.content or ""), None, key
        if message.type == "voice" and message.recognition:
            return str(message.recognition), None, key
        return None, UNSUPPORTED_TEXT, key

    async def _handle(
        self,
        message: Any,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        started: float,
        agent: Any = None,
    ) -> Optional[str]:
        openid = str(message.source)
        text, direct, key = self._incoming(message)
        msg_id = self._raw(message, "MsgId")
        kind = self._raw(message, "MsgType").lower() or "?"
        if kind == "event":
            kind = f"event:{self._raw(message, 'Event').lower()}"
        logger.info("wechat: %s %s from %s", kind, msg_id or "-", user_ref(openid))
        photo = message.type == "image" and self.photos.has_pending(openid)
        if message.type == "image" and not photo:
            return self.photos.nothing_pending_text()
        if text is None and not photo:
            return direct
        job = self.jobs.get(key)
        if job is not None:
            logger.info("wechat: retry of a message already received (%s)", job.state)
            return self._retry(job)
        if not self.seen().claim(f"msg:{key}", "", ttl=WINDOW):
            # handled by another replica or before a restart: never twice; its reply if known
            logger.info("wechat: message already handled elsewhere, not passed to Rasa again")
            return self.seen().get(f"reply:{key}") or None

        metadata: Dict[str, Any] = {"channel": CHANNEL, "msg_type": message.type}
        if msg_id:
            metadata["msg_id"] = msg_id
        if text == CONSENT_PAYLOAD and kind == "event:subscribe_msg_popup_event":
            metadata["subscribe_templates"] = accepted_templates(message)
        number = option_number(text) if message.type == "text" else None
        options = self.buttons.get(openid) if number else None
        if options and number in options:
            metadata["button_number"] = number
            text = options[number]
        if not photo:
            logger.debug("wechat: text from %s: %s", user_ref(openid), mask_text(text))

        job = _Job(openid=openid, collector=_ReplyCollector(self.output))
        self.jobs.set(key, job)
        if photo:
            job.task = self._spawn(self._file_photo(job, self._raw(message, "MediaId")))
        else:
            user_message = UserMessage(
                text,
                job.collector,
                sender_id=openid,
                input_channel=CHANNEL,
                metadata=metadata,
            )
            job.task = self._spawn(self._handle_and_relay(agent, user_message, on_new_message))
        remaining = self.reply_timeout - (time.monotonic() - started)
        try:
            if remaining > 0:
                await asyncio.wait({job.task}, timeout=remaining)
        except asyncio.CancelledError:  # WeChat hung up: a passive reply would be lost
            self._to_background(job)
            raise
        if job.state == "waiting" and job.task.done():
            job.state = "passive"
            parts = passive_parts(self._outcome(job))
            job.reply = parts[0] if parts else ""
            self.seen().put(f"reply:{key}", job.reply, ttl=WINDOW)
            if len(parts) > 1:
                self._spawn(self.output.deliver(openid, parts[1:], delay=self.followup_delay))
            return job.reply
        logger.info("wechat: bot slower than %.1f s, answering %s later", self.reply_timeout, user_ref(openid))
        self._to_background(job)
        return None

    async def _file_photo(self, job: _Job, media_id: str) -> None:
        """File a photo as the pending material's upload; the reply says which one."""
        reply = await self.photos.file_photo(job.openid, media_id)
        await job.collector.send_response(job.openid, {"text": reply})

    def _retry(self, job: _Job) -> Optional[str]:
        if job.state == "passive":
            return job.reply  # the first HTTP reply was lost: send the same answer again
        # Still running: WeChat gave up on the first request, so its reply would be lost;
        # the answer goes out through the customer-service API once it is ready.
        self._to_background(job)
        return None

    def _to_background(self, job: _Job) -> None:
        if job.state != "waiting" or job.task is None:
            return
        job.state = "background"

        def deliver(_: "asyncio.Task[None]") -> None:
            self._spawn(self.output.deliver(job.openid, split_text(self._outcome(job))))

        job.task.add_done_callback(deliver)

    def _outcome(self, job: _Job) -> str:
        """The bot's answer as one text; remembers its buttons for a numeric reply."""
        job.collector.sealed = True
        error = None if job.task is None or job.task.cancelled() else job.task.exception()
        text, options = render_messages(job.collector.messages)
        self.photos.remember(job.openid, text)  # upload links: a photo sent next is filed there
        text = photo_hint(text)
        if error is not None:
            logger.error("wechat: Rasa failed on a message from %s: %s", user_ref(job.openid), type(error).__name__)
            text, options = (f"{text}\n\n{ERROR_TEXT}" if text else ERROR_TEXT), {}
        if options:
            self.buttons.set(job.openid, options)
        else:
            self.buttons.pop(job.openid)
        return text

    @staticmethod
    async def _handle_and_relay(agent: Any, message: UserMessage,
                                on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Any:
        """Rasa handles the message; while a help-desk agent has the conversation, the user's
        words go to the agent's console (bot/channels/handoff_relay.py `handle`)."""
        from bot.channels.handoff_relay import handle

        return await handle(agent, message, on_new_message)

    def _spawn(self, coroutine: Awaitable[Any]) -> "asyncio.Task[Any]":
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task
