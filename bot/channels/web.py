"""The website chat widget's channel: a Rasa input channel at `/webhooks/web/`.

It serves the widget (the ChatUI page built from bot/pages into bot/pages/dist), the embed
launcher `widget.js`, a privacy notice, and the JSON endpoints the page talks to, so the widget's
origin is the Rasa origin and needs no CORS:

    GET  /webhooks/web/             the full-page widget          GET /webhooks/web/widget.js  launcher
    GET  /webhooks/web/config       texts (guides/messages.yml widget.*), operator, hotline
    POST /webhooks/web/session      a server-issued session: {"session": "<signed token>"}
    GET  /webhooks/web/history      this session's messages since it began (for a reload)
    POST /webhooks/web/message      {"text", "metadata": {"elder", "hidden", "shown"}} -> {"replies"}
    POST /webhooks/web/session/end  「新对话」: the conversation is restarted (slots cleared), new session
    POST /webhooks/web/upload/<t>   an in-chat upload, passed to the case store's POST /upload/<t>
    GET  /webhooks/web/notices      pushed notices for this session (双书同达 reminders, case status),
                                    taken from the case store's inbox and added to the conversation
    GET  /webhooks/web/updates?cursor=N  messages that were not a reply to this page's request
                                    (a help-desk agent's replies, the hand-back), polled by the page
    POST /webhooks/web/rating       {"handoff_id", "level"}: 好差评 of a human handoff
    POST /webhooks/web/rating/reason {"rating_id", "reason"}: the optional reason of a bad one

`cursor` (in /history, /message and /updates answers) counts the items of `history_items`: the
page asks /updates for everything after what it has shown. While a human agent has the
conversation (Rasa paused it), the user's messages are passed on to the case store
(POST /api/v1/handoffs/user-messages) so the agent's console shows them; the bot does not answer.

The session token is `<sender id>.<HMAC-SHA256>` signed with WIDGET_SESSION_SECRET; the page keeps
it in sessionStorage and sends it as `X-Chat-Session` (a header, not a cookie, so the widget also
works inside an iframe on another site). A client cannot pick a sender id. A session idle for
WIDGET_SESSION_IDLE_MINUTES (30) is ended the same way as 「新对话」.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass
from collections.abc import Awaitable, Callable
from functools import lru_cache
from html import escape
from pathlib import Path
from typing import Any

import httpx
from rasa.core.channels.channel import (
    CollectingOutputChannel,
    InputChannel,
    UserMessage,
)
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    Restarted,
    SessionStarted,
    UserUttered,
)
from sanic import Blueprint, response
from sanic.exceptions import InvalidUsage
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.limits import hotline
from bot.texts import catalogue, t

logger = logging.getLogger(__name__)

CHANNEL = "web"
DIST = Path(__file__).resolve().parents[1] / "pages" / "dist"
MAX_TEXT = 2000
SENDER_PREFIX = "web-"
KEPT_VIEWS = 2000  # conversations whose view the widget keeps for its polls (_view), a few KB each
_ASSET = re.compile(r"^[A-Za-z0-9_.-]{1,120}\.(js|css|woff2?|png|svg)$")
_TYPES = {"js": "application/javascript; charset=utf-8", "css": "text/css; charset=utf-8",
          "woff": "font/woff", "woff2": "font/woff2", "png": "image/png", "svg": "image/svg+xml"}


def widget_texts() -> dict[str, str]:
    """Every `widget.*` text with the prefix dropped; {hotline} filled, other placeholders kept
    for the page ({files}, {percent}, {operator})."""
    number = hotline()
    texts = {key[len("widget."):]: value.replace("{hotline}", number)
             for key, value in catalogue().items() if key.startswith("widget.")}
    # the 告知书 QR flow (issue 15): notice_scanned, …
    texts.update({"notice_" + key[len("notice15b.widget."):]: value for key, value in catalogue().items()
                  if key.startswith("notice15b.widget.")})
    # The human handoff's widget texts (issue 14): with_agent, rated.
    texts.update({key[len("staff14b.widget."):]: value for key, value in catalogue().items()
                  if key.startswith("staff14b.widget.") and key[len("staff14b.widget."):] not in texts})
    return texts


def notice_poll_seconds() -> float:
    """How often the open page asks for pushed notices (WIDGET_NOTICE_POLL_SECONDS, 30)."""
    try:
        return max(1.0, float(os.environ.get("WIDGET_NOTICE_POLL_SECONDS") or 30))
    except ValueError:
        return 30.0


async def take_notices(sender: str) -> list[dict[str, Any]]:
    """This chat user's queued notices from the case store (taken once); [] when it is down."""
    from bot.casestore.client import CaseStoreError
    from bot.dialogue.casestore_access import case_store_client

    client = case_store_client()
    client.timeout = min(client.timeout, 5.0)
    try:
        return await client.take_inbox(sender)
    except CaseStoreError:
        logger.warning("web widget: case store unreachable for notices")
        return []
    finally:
        await client.aclose()


def operator() -> str:
    return os.environ.get("WIDGET_OPERATOR") or t("widget.operator")


def embed_origins() -> list[str]:
    """Origins allowed to frame the widget (the sites that embed the launcher)."""
    raw = os.environ.get("WIDGET_EMBED_ORIGINS") or os.environ.get("WIDGET_ALLOWED_ORIGINS") or ""
    return [o.strip() for o in re.split(r"[\s,]+", raw) if re.match(r"^https?://[A-Za-z0-9.:\[\]-]+$", o.strip())]


def security_headers(page: bool = True) -> dict[str, str]:
    headers = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"}
    if page:
        ancestors = " ".join(["'self'", *embed_origins()])
        headers["Content-Security-Policy"] = (
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data: https:; connect-src 'self'; font-src 'self' data:; object-src 'none'; "
            f"base-uri 'none'; form-action 'self'; frame-ancestors {ancestors}"
        )
    return headers


class Sessions:
    """Server-issued, signed session tokens: `<sender id>.<signature>`."""

    def __init__(self, secret: str):
        self._key = secret.encode("utf-8")

    def _sign(self, sender: str) -> str:
        mac = hmac.new(self._key, sender.encode("ascii"), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).decode("ascii").rstrip("=")

    def issue(self) -> tuple[str, str]:
        sender = SENDER_PREFIX + secrets.token_urlsafe(18)
        return sender, f"{sender}.{self._sign(sender)}"

    def sender(self, token: str | None) -> str | None:
        if not token or len(token) > 200 or "." not in token:
            return None
        sender, _, sig = token.rpartition(".")
        if not sender.startswith(SENDER_PREFIX) or not re.fullmatch(r"[A-Za-z0-9_-]+", sender):
            return None
        return sender if hmac.compare_digest(sig, self._sign(sender)) else None


def _current_events(tracker) -> list:
    """The events of the conversation the user is in: after the last restart / session start,
    with the messages action_session_start sent just before its SessionStarted (the welcome)."""
    events = list(tracker.events) if tracker else []
    for i in range(len(events) - 1, -1, -1):
        if isinstance(events[i], Restarted):
            return events[i + 1:]
        if isinstance(events[i], SessionStarted):
            j = i - 1
            while j >= 0 and isinstance(events[j], BotUttered):
                j -= 1
            opened = j >= 0 and isinstance(events[j], ActionExecuted) and events[j].action_name == "action_session_start"
            return events[j + 1:] if opened else events[i + 1:]
    return events


def history_items(tracker) -> list[dict[str, Any]]:
    """What the user saw: their own words (button titles, not payloads) and the bot's messages."""
    items: list[dict[str, Any]] = []
    for event in _current_events(tracker):
        if isinstance(event, UserUttered):
            meta = event.metadata or {}
            if meta.get("hidden"):
                continue
            text = meta.get("shown") or event.text or ""
            if text:
                items.append({"who": "user", "text": text})
        elif isinstance(event, BotUttered):
            data = event.data or {}
            item = {"who": "bot", "text": event.text or ""}
            for key in ("buttons", "image", "custom", "attachment"):
                if data.get(key):
                    item[key] = data[key]
            items.append(item)
    return items


def last_activity(tracker) -> float | None:
    """When the user last spoke or the bot last answered (None for an empty conversation)."""
    for event in reversed(list(tracker.events) if tracker else []):
        if isinstance(event, (UserUttered, BotUttered)):
            return event.timestamp
        if isinstance(event, (Restarted,)):
            return None
    return None


@dataclass(frozen=True)
class View:
    """What the widget's routes read of a conversation (WebChatInput._view)."""
    items: list  # history_items: what the user saw
    last: float | None  # last_activity
    paused: bool  # a help-desk agent has it
    pushed: frozenset  # texts of pushed notices (shown by their own poll)


def view_of(tracker) -> View:
    pushed = frozenset(e.text for e in _current_events(tracker)
                       if isinstance(e, BotUttered) and (e.metadata or {}).get("pushed"))
    return View(history_items(tracker), last_activity(tracker), _paused(tracker), pushed)


def clean_metadata(raw: Any, shown_default: str) -> dict[str, Any]:
    raw = raw if isinstance(raw, dict) else {}
    meta: dict[str, Any] = {"channel_ui": CHANNEL, "elder": raw.get("elder") is True}
    if raw.get("hidden") is True:
        meta["hidden"] = True
    shown = raw.get("shown")
    if isinstance(shown, str) and shown.strip() and shown != shown_default:
        meta["shown"] = shown.strip()[:200]
    return meta


class WebChatInput(InputChannel):
    """The website chat widget (ChatUI page, embed launcher, sessions, history, uploads)."""

    @classmethod
    def name(cls) -> str:
        return CHANNEL

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> WebChatInput:
        credentials = credentials or {}
        secret = credentials.get("session_secret") or os.environ.get("WIDGET_SESSION_SECRET") or ""
        idle = float(credentials.get("idle_minutes") or os.environ.get("WIDGET_SESSION_IDLE_MINUTES") or 30)
        if not secret:
            if os.environ.get("APP_ENV") == "production":
                raise SystemExit("错误：生产环境必须设置 WIDGET_SESSION_SECRET（网页聊天会话签名密钥）。\n"
                                 "Error: APP_ENV=production needs WIDGET_SESSION_SECRET (widget session signing key).")
            secret = secrets.token_urlsafe(32)
            logger.info("WIDGET_SESSION_SECRET not set: widget sessions are signed with a per-process key")
        return cls(secret, idle)

    def __init__(self, secret: str, idle_minutes: float = 30):
        self.sessions = Sessions(secret)
        self.idle_seconds = idle_minutes * 60
        self._views: OrderedDict[str, tuple[tuple[int, int], View]] = OrderedDict()  # see _view

    # --- helpers -----------------------------------------------------------------------------
    def _json(self, body: dict[str, Any], status: int = 200) -> HTTPResponse:
        return response.json(body, status=status, headers={"Cache-Control": "no-store", **security_headers(False)},
                             dumps=lambda o: json.dumps(o, ensure_ascii=False))

    def _error(self, status: int, code: str, key: str) -> HTTPResponse:
        return self._json({"error": code, "message": widget_texts()[key]}, status)

    async def _tracker(self, request: Request, sender: str):
        """The whole tracker (`retrieve` would cut it at the last session start, losing the
        welcome that action_session_start sends just before)."""
        agent = request.app.ctx.agent
        return await agent.tracker_store.retrieve_full_tracker(sender) if agent and agent.tracker_store else None

    async def _view(self, request: Request, sender: str, fresh: bool = False) -> View:
        """What the page needs of the conversation (history, idle time, paused, pushed notices).

        The open page asks every few seconds (GET /updates; every route checks the session's
        idle time first): reading and decrypting every event of a long conversation each time
        cost more than answering a message (issue 12, bench/README.md). The view is kept per
        sender with the signature of the conversation's rows (count and highest id: one
        indexed query, no decryption) and built again only when they changed — any saved event
        does that: a message, an agent's reply, a pushed notice, a restart, another replica's
        turn. A few kilobytes per conversation, the least recently used dropped. Within one
        request the view read by the session check is used again (one signature query per
        poll); `fresh` looks again, after the request changed the conversation."""
        seen = getattr(request.ctx, "chat_view", None)
        if not fresh and seen is not None and seen[0] == sender:
            return seen[1]
        view = await self._read_view(request, sender)
        request.ctx.chat_view = (sender, view)
        return view

    async def _read_view(self, request: Request, sender: str) -> View:
        agent = request.app.ctx.agent
        store = agent.tracker_store if agent else None
        if store is None:
            return view_of(None)
        signature = getattr(getattr(store, "_tracker_store", store), "rows_signature", None)
        rows = signature(sender) if signature else None
        kept = self._views.get(sender)
        if rows is not None and kept is not None and kept[0] == rows:
            self._views.move_to_end(sender)
            return kept[1]
        view = view_of(await store.retrieve_full_tracker(sender))
        if rows is not None:
            self._views[sender] = (rows, view)
            self._views.move_to_end(sender)
            while len(self._views) > KEPT_VIEWS:
                self._views.popitem(last=False)
        return view

    async def _restart(self, request: Request, sender: str) -> None:
        """End a conversation: a restart event clears its slots and form."""
        agent = request.app.ctx.agent
        if not agent or not agent.tracker_store:
            return
        async with agent.lock_store.lock(sender):
            tracker = await agent.tracker_store.retrieve(sender)
            if tracker and tracker.events:
                tracker.update(ActionExecuted("action_restart"))
                tracker.update(Restarted())
                await agent.tracker_store.save(tracker)

    async def _session_and_body(self, request: Request) -> tuple[str | None, dict[str, Any]]:
        """(sender or None, the JSON object posted, {} when it is not one)."""
        sender, _ = await self._session(request)
        try:
            body = request.json
        except (InvalidUsage, ValueError):
            body = None
        return sender, body if isinstance(body, dict) else {}

    async def _session(self, request: Request) -> tuple[str | None, bool]:
        """(sender, expired): the caller's live session; an idle one is ended first."""
        sender = self.sessions.sender(request.headers.get("x-chat-session"))
        if not sender:
            return None, False
        last = (await self._view(request, sender)).last
        if last is not None and time.time() - last > self.idle_seconds:
            await self._restart(request, sender)
            return None, True
        return sender, False

    # --- routes ------------------------------------------------------------------------------
    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        from bot.channels.limits import guard

        # The shared channel guard: input cap and an apology with the hotline when an action fails.
        on_new_message = guard(on_new_message)
        web = Blueprint("web_widget", __name__)

        @web.get("/")
        async def page(request: Request) -> HTTPResponse:
            html = _dist_file("widget.html")
            if html is None:
                return response.text(t("widget.not_built"), status=503)
            return response.html(html.decode("utf-8"), headers={"Cache-Control": "no-cache", **security_headers()})

        @web.get("/widget.js")
        async def launcher(request: Request) -> HTTPResponse:
            js = _dist_file("widget.js")
            if js is None:
                return response.text(t("widget.not_built"), status=503)
            texts = {k[len("launcher."):]: v for k, v in widget_texts().items() if k.startswith("launcher.")}
            body = js.decode("utf-8").replace('"__CR_LAUNCHER_TEXTS__"', json.dumps(texts, ensure_ascii=False))
            return response.text(body, content_type=_TYPES["js"],
                                 headers={"Cache-Control": "public, max-age=300", **security_headers(False)})

        @web.get("/assets/<name>")
        async def asset(request: Request, name: str) -> HTTPResponse:
            data = _dist_file(f"assets/{name}") if _ASSET.match(name) else None
            if data is None:
                return response.text("not found", status=404)
            return response.raw(data, content_type=_TYPES[name.rsplit(".", 1)[1]],
                                headers={"Cache-Control": "public, max-age=31536000, immutable",
                                         **security_headers(False)})

        @web.get("/privacy")
        async def privacy(request: Request) -> HTTPResponse:
            return response.html(privacy_page(), headers=security_headers())

        @web.get("/config")
        async def config(request: Request) -> HTTPResponse:
            return self._json({"texts": widget_texts(), "operator": operator(), "hotline": hotline(),
                               "privacy_url": "./privacy", "max_text": MAX_TEXT,
                               "notice_poll_seconds": notice_poll_seconds()})

        @web.post("/session")
        async def session(request: Request) -> HTTPResponse:
            sender, expired = await self._session(request)
            if sender:
                return self._json({"session": request.headers.get("x-chat-session"), "resumed": True})
            _, token = self.sessions.issue()
            body: dict[str, Any] = {"session": token, "resumed": False}
            if expired:
                body["notice"] = widget_texts()["expired"]
            return self._json(body)

        @web.get("/history")
        async def history(request: Request) -> HTTPResponse:
            sender, expired = await self._session(request)
            if not sender:
                _, token = self.sessions.issue()
                return self._json({"session": token, "messages": [], "expired": expired,
                                   "notice": widget_texts()["expired"] if expired else None})
            items = (await self._view(request, sender)).items
            return self._json({"messages": items, "cursor": len(items)})

        @web.post("/message")
        async def message(request: Request) -> HTTPResponse:
            try:
                body = request.json
            except (InvalidUsage, ValueError):
                body = None
            if not isinstance(body, dict) or not isinstance(body.get("text"), str) or not body["text"].strip():
                return self._error(400, "text_required", "error_empty")
            sender, expired = await self._session(request)
            extra: dict[str, Any] = {}
            if not sender:
                if not expired and request.headers.get("x-chat-session"):
                    return self._error(401, "session_invalid", "error_session")
                sender, token = self.sessions.issue()
                extra["session"] = token
                if expired:
                    extra.update(expired=True, notice=widget_texts()["expired"])
            text = body["text"].strip()
            note = None
            if len(text) > MAX_TEXT:
                text, note = text[:MAX_TEXT], widget_texts()["too_long"]
            collector = CollectingOutputChannel()
            from bot.channels.handoff_relay import handle

            try:
                await handle(getattr(request.app.ctx, "agent", None), UserMessage(
                    text, collector, sender, input_channel=CHANNEL,
                    metadata=clean_metadata(body.get("metadata"), text)), on_new_message)
            except Exception:
                logger.exception("web widget: message handling failed")
                return self._error(502, "assistant_failed", "error_server")
            replies = [_reply(m) for m in collector.messages]
            if note:
                replies.insert(0, {"text": note})
            view = await self._view(request, sender, fresh=True)
            return self._json({"replies": replies, "cursor": len(view.items), "paused": view.paused, **extra})

        @web.get("/updates")
        async def updates(request: Request) -> HTTPResponse:
            sender, expired = await self._session(request)
            if not sender:
                return self._error(401, "session_invalid", "error_session")
            try:
                cursor = max(0, int(request.args.get("cursor", "0")))
            except ValueError:
                cursor = 0
            view = await self._view(request, sender)
            items = view.items
            if cursor > len(items):  # the conversation was restarted elsewhere
                return self._json({"messages": [], "cursor": len(items), "paused": view.paused, "reset": True})
            # pushed notices (GET /notices) are shown by their own poll: not twice
            new = [m for m in items[cursor:] if m["who"] == "bot" and m["text"] not in view.pushed]
            return self._json({"messages": new, "cursor": len(items), "paused": view.paused})

        @web.post("/rating")
        async def rating(request: Request) -> HTTPResponse:
            sender, body = await self._session_and_body(request)
            if not sender:
                return self._error(401, "session_invalid", "error_session")
            from bot.channels.handoff_relay import rate_handoff, rating_offered

            handoff_id = body.get("handoff_id")
            tracker = await self._tracker(request, sender)
            if not rating_offered(tracker, handoff_id):  # only a handoff of this conversation
                return self._json({"error": "rating_unknown", "message": t("staff14b.rating.unknown")}, 404)
            status, answer = await rate_handoff(sender, handoff_id, body.get("level"))
            return self._json(answer, status)

        @web.post("/rating/reason")
        async def rating_reason(request: Request) -> HTTPResponse:
            sender, body = await self._session_and_body(request)
            if not sender:
                return self._error(401, "session_invalid", "error_session")
            from bot.channels.handoff_relay import give_reason

            status, answer = await give_reason(sender, body.get("rating_id"), body.get("reason"))
            return self._json(answer, status)

        @web.post("/session/end")
        async def end(request: Request) -> HTTPResponse:
            sender, _ = await self._session(request)
            if sender:
                await self._restart(request, sender)
            _, token = self.sessions.issue()
            return self._json({"session": token, "ended": bool(sender)})

        @web.post("/upload/<token>")
        async def upload(request: Request, token: str) -> HTTPResponse:
            sender, _ = await self._session(request)
            if not sender:
                return self._error(401, "session_invalid", "error_session")
            if not re.fullmatch(r"[A-Za-z0-9_-]{16,100}", token):
                return self._error(404, "upload_token_unknown", "upload_failed")
            base = (os.environ.get("CASESTORE_URL") or "http://127.0.0.1:8000").rstrip("/")
            try:
                async with httpx.AsyncClient(timeout=120) as client:
                    resp = await client.post(f"{base}/upload/{token}", content=request.body, headers={
                        "Content-Type": request.headers.get("content-type", ""), "Accept": "application/json"})
            except httpx.HTTPError:
                logger.warning("web widget: case store unreachable for an upload")
                return self._error(502, "casestore_unreachable", "upload_unreachable")
            try:
                data = resp.json()
            except ValueError:
                data = {"error": "casestore_error", "message": widget_texts()["upload_failed"]}
            return self._json(data if isinstance(data, dict) else {}, resp.status_code)

        @web.get("/notices")
        async def notices(request: Request) -> HTTPResponse:
            """Pushed notices (reminders, case status) for the open page. They are written into
            the conversation as bot messages, so a reload (history) still shows them."""
            sender, _ = await self._session(request)
            if not sender:
                return self._json({"notices": []})
            items = await take_notices(sender)
            shown = [{"text": t("notice15b.widget.pushed", title=n.get("title") or "", text=n.get("text") or ""),
                      "kind": n.get("kind")} for n in items]
            if shown:
                await self._record(request, sender, [m["text"] for m in shown])
            return self._json({"notices": shown})

        return web

    async def _record(self, request: Request, sender: str, texts: list[str]) -> None:
        agent = request.app.ctx.agent
        if not agent or not agent.tracker_store:
            return
        async with agent.lock_store.lock(sender):
            tracker = await agent.tracker_store.get_or_create_tracker(sender)
            for text in texts:
                tracker.update(BotUttered(text, metadata={"pushed": True}))
            await agent.tracker_store.save(tracker)


def _paused(tracker) -> bool:
    return bool(tracker is not None and tracker.is_paused())


def _reply(message: dict[str, Any]) -> dict[str, Any]:
    out = {k: message[k] for k in ("text", "buttons", "image", "custom", "attachment") if message.get(k)}
    return out


def _dist_file(rel: str) -> bytes | None:
    path = (DIST / rel).resolve()
    if DIST.resolve() not in path.parents or not path.is_file():
        return None
    return _read(str(path), path.stat().st_mtime)


@lru_cache(maxsize=64)
def _read(path: str, mtime: float) -> bytes:
    return Path(path).read_bytes()


def privacy_page() -> str:
    texts = widget_texts()
    paras = "".join(f"<p>{escape(texts[k].format(operator=operator()))}</p>"
                    for k in sorted(k for k in texts if k.startswith("privacy.p")))
    return (
        "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>{escape(texts['privacy.title'])}</title><style>body{{font:18px/1.7 sans-serif;color:#1f2329;"
        "max-width:40em;margin:0 auto;padding:16px}}h1{{font-size:1.3em}}</style></head><body>"
        f"<h1>{escape(texts['privacy.title'])}</h1>{paras}</body></html>"
    )
