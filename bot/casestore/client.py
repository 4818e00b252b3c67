"""Async client for the chat actions (httpx).

    client = CaseStoreClient("http://127.0.0.1:8000", token=ASSISTANT_TOKEN, timeout=5)
    case = await client.submit(application, idempotency_key=f"{conversation_id}:{form_hash}")
    case["case_no"]  # 'XF-20261125-48275'

Errors the chat can put plainly to the user:
- `CaseStoreUnavailable`: the service is down, timed out, or answered 5xx — "系统暂时无法提交，请稍后再试".
- `CaseStoreRejected(errors)`: 422 — `errors` is the list of {field, message} (Chinese), all at once.
- `CaseStoreNotFound`: 404 (unknown case number or the phone does not match).
- `CaseStoreError(status, code, message)`: anything else (409 conflict, 401/403 ...).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx


class CaseStoreError(Exception):
    def __init__(self, status: int, code: str, message: str, details: list | None = None):
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.details = details or []


class CaseStoreUnavailable(CaseStoreError):
    def __init__(self, message: str = "信用修复案件系统暂时无法访问，请稍后再试。", status: int = 503):
        super().__init__(status, "unavailable", message)


class CaseStoreRejected(CaseStoreError):
    def __init__(self, errors: list[dict], message: str = "提交的信息需要修改。"):
        super().__init__(422, "validation_failed", message, errors)
        self.errors = errors


class CaseStoreNotFound(CaseStoreError):
    pass


class CaseStoreClient:
    def __init__(self, base_url: str, token: str | None = None, timeout: float = 5.0,
                 transport: httpx.AsyncBaseTransport | None = None, http: httpx.AsyncClient | None = None):
        """`http`: a connection pool kept by the caller for the process (bot/dialogue/casestore_access.py),
        which `aclose` leaves open; without it the client opens its own and closes it."""
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self._transport = transport
        self._client: httpx.AsyncClient | None = http
        self._owns_client = http is None

    async def __aenter__(self) -> "CaseStoreClient":
        return self

    async def __aexit__(self, *exc) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._client is not None and self._owns_client:
            await self._client.aclose()
            self._client = None

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
            self._client = httpx.AsyncClient(base_url=self.base_url, timeout=self.timeout,
                                             headers=headers, transport=self._transport)
        return self._client

    async def _send(self, method: str, path: str, **kwargs) -> httpx.Response:
        try:
            resp = await self._http().request(method, path, timeout=self.timeout, **kwargs)
        except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as exc:
            raise CaseStoreUnavailable() from exc
        if resp.status_code >= 500:
            raise CaseStoreUnavailable(status=resp.status_code)
        try:
            data = resp.json()
        except ValueError:
            raise CaseStoreUnavailable("信用修复案件系统返回了无法识别的内容，请稍后再试。",
                                       status=resp.status_code) from None
        if resp.status_code < 400:
            return resp
        code, message, details = data.get("error", "error"), data.get("message", ""), data.get("details", [])
        if resp.status_code == 422:
            raise CaseStoreRejected(details, message)
        if resp.status_code == 404:
            raise CaseStoreNotFound(404, code, message, details)
        raise CaseStoreError(resp.status_code, code, message, details)

    async def _request(self, method: str, path: str, **kwargs) -> dict:
        return (await self._send(method, path, **kwargs)).json()

    async def submit(self, application: dict, idempotency_key: str) -> dict:
        """Submit an application; the same key returns the same case (`created` tells which)."""
        resp = await self._send("POST", "/api/v1/applications", json=application,
                                headers={"Idempotency-Key": idempotency_key})
        data = resp.json()
        data["created"] = resp.status_code == 201
        return data

    async def handoff_user_message(self, conversation_id: str, text: str) -> dict:
        """A message the user sent while a help-desk agent has the conversation; the answer's
        `reply` is what to tell the user (None once an agent is answering)."""
        return await self._request("POST", "/api/v1/handoffs/user-messages",
                                   json={"conversation_id": conversation_id, "text": text})

    async def lookup(self, case_no: str, phone: str | None = None) -> dict:
        params = {"phone": phone} if phone else None
        return await self._request("GET", f"/api/v1/applications/{case_no}", params=params)

    async def create_upload_token(self, *, case_no: str | None = None, draft_id: str | None = None,
                                  material_id: str | None = None,
                                  expires_in_minutes: int | None = None) -> dict:
        """{token, url, expires_at}: give `url` to the user to upload from a phone."""
        body: dict[str, Any] = {"case_no": case_no, "draft_id": draft_id, "material_id": material_id,
                                "expires_in_minutes": expires_in_minutes}
        return await self._request("POST", "/api/v1/upload-tokens",
                                   json={k: v for k, v in body.items() if v is not None})

    async def draft_uploads(self, draft_id: str) -> list[dict]:
        data = await self._request("GET", "/api/v1/uploads", params={"draft_id": draft_id})
        return data["uploads"]

    async def add_reminder(self, *, subject_code: str | None, remind_on: dt.date | str, summary: str,
                           channel: str, phone: str | None = None,
                           channel_user_id: str | None = None) -> dict:
        body = {"subject_code": subject_code, "remind_on": str(remind_on), "summary": summary,
                "channel": channel, "phone": phone, "channel_user_id": channel_user_id}
        return await self._request("POST", "/api/v1/reminders",
                                   json={k: v for k, v in body.items() if v is not None})

    async def due_reminders(self, channel_user_id: str, on: dt.date | str | None = None) -> list[dict]:
        """This chat user's reminders that are due and not yet sent."""
        params = {"channel_user_id": channel_user_id, **({"on": str(on)} if on else {})}
        return (await self._request("GET", "/api/v1/reminders/due", params=params))["reminders"]

    async def mark_reminder_sent(self, reminder_id: int) -> dict:
        return await self._request("POST", f"/api/v1/reminders/{reminder_id}/sent")

    async def determine_paths(self, payload: dict) -> dict:
        return await self._request("POST", "/api/v1/paths/determine", json=payload)

    async def resubmit(self, case_no: str, phone: str | None = None, note: str | None = None) -> dict:
        params = {"phone": phone} if phone else None
        return await self._request("POST", f"/api/v1/applications/{case_no}/resubmit", params=params,
                                   json={"note": note} if note else {})

    async def withdraw(self, case_no: str, *, phone: str | None = None, conversation_id: str | None = None,
                       reason: str | None = None) -> dict:
        """Withdraw a case no department has accepted yet (the application view, state 'withdrawn').

        Authenticate with the full phone given at submission, or (the assistant) with the
        `conversation_id` that submitted the case. An accepted item: CaseStoreError(409,
        'already_accepted', message naming the department to contact) — show `message` as is."""
        body: dict[str, Any] = {}
        if conversation_id:
            body["conversation_id"] = conversation_id
        if reason:
            body["reason"] = reason
        return await self._request("POST", f"/api/v1/applications/{case_no}/withdraw",
                                   params={"phone": phone} if phone else None, json=body)

    async def correct_applicant(self, case_no: str, changes: dict, *, phone: str | None = None,
                                conversation_id: str | None = None, note: str | None = None,
                                applicant_version: int | None = None) -> dict:
        """Correct applicant fields before acceptance: `changes` maps name / uscc / legal_rep /
        agent_name / agent_phone to the new value. Returns the application view (its
        `applicant_version` went up by one). Invalid values: CaseStoreRejected(errors); accepted
        already: CaseStoreError(409, 'already_accepted', message naming the department)."""
        body: dict[str, Any] = {"applicant": changes}
        if conversation_id:
            body["conversation_id"] = conversation_id
        if note:
            body["note"] = note
        if applicant_version is not None:
            body["applicant_version"] = applicant_version
        return await self._request("POST", f"/api/v1/applications/{case_no}/corrections",
                                   params={"phone": phone} if phone else None, json=body)

    # ----- 双书同达 and 好差评 (issue 15) -------------------------------------------------------
    async def notice_by_token(self, token: str) -> dict:
        """The 信用修复告知书 a QR token stands for (CaseStoreNotFound when forged or unknown)."""
        return await self._request("GET", f"/api/v1/notices/by-token/{token}")

    async def add_consent(self, **body: Any) -> dict:
        return await self._request("POST", "/api/v1/consents", json={k: v for k, v in body.items() if v is not None})

    async def stop_reminders(self, channel_user_id: str, phone: str | None = None) -> dict:
        body = {"channel_user_id": channel_user_id, **({"phone": phone} if phone else {})}
        return await self._request("POST", "/api/v1/consents/stop", json=body)

    async def take_inbox(self, channel_user_id: str) -> list[dict]:
        """The widget's queued notices for one chat user ({id, kind, title, text}); taken once."""
        data = await self._request("GET", "/api/v1/notifications/inbox", params={"channel_user_id": channel_user_id})
        return list(data.get("notifications") or [])

    async def rate(self, **body: Any) -> dict:
        return await self._request("POST", "/api/v1/ratings", json={k: v for k, v in body.items() if v is not None})

    async def rating_reason(self, rating_id: int, reason: str, channel_user_id: str) -> dict:
        return await self._request("POST", f"/api/v1/ratings/{int(rating_id)}/reason",
                                   json={"reason": reason, "channel_user_id": channel_user_id})
