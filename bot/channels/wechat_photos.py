"""Photos sent in the WeChat chat become material uploads.

When the assistant asks for a material it sends a one-time upload link (`…/upload/<token>`).
In WeChat the user may simply take a photo and send it: the channel remembers the upload tokens it
sent to each user, downloads the photo through wechatpy's media API and hands it to the case
store's `POST /upload/<token>` — checked there like any upload (type, size, one-time token) —
and says in the reply which material it was filed as.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
from typing import Any

import httpx

from bot.channels.wechat_support import TTLCache, user_ref
from bot.texts import t as _text

logger = logging.getLogger(__name__)

UPLOAD_LINK = re.compile(r"https?://[^\s，。；）)]+/upload/([A-Za-z0-9_-]{16,100})")
_TYPES = {"image/jpeg": "jpg", "image/jpg": "jpg", "image/png": "png", "application/pdf": "pdf"}


def t(key: str, **values: Any) -> str:
    from bot.guide import load_guide

    return _text(key, hotline=load_guide().service["hotline"], **values)


def upload_tokens(text: str) -> list[str]:
    """The upload tokens of every upload link in a bot text, in order."""
    seen: list[str] = []
    for token in UPLOAD_LINK.findall(text or ""):
        if token not in seen:
            seen.append(token)
    return seen


def photo_hint(text: str) -> str:
    """A bot text with upload links gets the WeChat hint: a photo sent here is enough."""
    return f"{text}\n{t('widget.wechat.photo_hint')}" if upload_tokens(text) else text


def _material_name(material_id: str | None) -> str:
    from bot.guide import load_guide

    material = load_guide().materials.get(material_id or "") or {}
    return str(material.get("name") or t("widget.wechat.material_unknown"))


class PhotoUploads:
    """Which upload tokens each WeChat user holds, and how a photo is filed with one of them."""

    def __init__(self, client: Any, casestore_url: str | None = None, ttl: float = 24 * 3600,
                 max_users: int = 50_000, timeout: float = 20):
        self.client = client  # wechatpy WeChatClient (media.download)
        base = os.environ.get("WECHAT_API_BASE_URL")  # e.g. a proxy; tests: a fake API on loopback
        if client is not None and base:
            client.API_BASE_URL = base.rstrip("/") + "/"
        self.casestore_url = (casestore_url or os.environ.get("CASESTORE_URL") or "http://127.0.0.1:8000").rstrip("/")
        self.pending: TTLCache[list[str]] = TTLCache(ttl, max_users)
        self.timeout = timeout

    def remember(self, openid: str, text: str) -> None:
        """Note the upload links the assistant just sent to this user (newest replace older)."""
        tokens = upload_tokens(text)
        if tokens:
            self.pending.set(openid, tokens)

    def has_pending(self, openid: str) -> bool:
        return bool(self.pending.get(openid))

    @staticmethod
    def nothing_pending_text() -> str:
        return t("widget.wechat.photo_nothing_pending")

    async def _download(self, media_id: str) -> tuple[bytes, str]:
        resp = await asyncio.to_thread(self.client.media.download, media_id)
        ctype = (resp.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if ctype in ("application/json", "text/plain"):  # WeChat reports an error as JSON
            raise ValueError(f"media download refused: {resp.text[:200]}")
        return resp.content, ctype or "image/jpeg"

    async def file_photo(self, openid: str, media_id: str) -> str:
        """Download the photo and upload it for the first pending material; the reply text."""
        tokens = list(self.pending.get(openid) or [])
        if not tokens:
            return t("widget.wechat.photo_nothing_pending")
        if not media_id or self.client is None:
            return t("widget.wechat.photo_failed")
        try:
            content, ctype = await self._download(media_id)
        except Exception as error:  # noqa: BLE001 - network, WeChat errcode, expired media
            logger.warning("wechat photo: download failed for %s (%s)", user_ref(openid), type(error).__name__)
            return t("widget.wechat.photo_failed")
        name = f"微信照片.{_TYPES.get(ctype, 'jpg')}"
        while tokens:
            token = tokens[0]
            try:
                async with httpx.AsyncClient(timeout=self.timeout) as http:
                    resp = await http.post(f"{self.casestore_url}/upload/{token}",
                                           files={"file": (name, content, ctype)},
                                           headers={"Accept": "application/json"})
            except httpx.HTTPError:
                logger.warning("wechat photo: case store unreachable for %s", user_ref(openid))
                return t("widget.wechat.photo_failed")
            try:
                body = resp.json()
            except ValueError:
                body = {}
            if resp.status_code in (200, 201):
                tokens.pop(0)
                self.pending.set(openid, tokens)
                uploads = body.get("uploads") or [{}]
                material = _material_name(uploads[0].get("material_id"))
                left = len(tokens)
                key = "widget.wechat.photo_saved_more" if left else "widget.wechat.photo_saved"
                return t(key, material=material, left=left)
            if resp.status_code in (404, 410):  # used or expired: try the next pending material
                tokens.pop(0)
                self.pending.set(openid, tokens)
                continue
            # refused like any upload (type, size…): the case store's Chinese reason
            return t("widget.wechat.photo_refused", reason=body.get("message") or t("widget.wechat.photo_failed"))
        return t("widget.wechat.photo_nothing_pending")
