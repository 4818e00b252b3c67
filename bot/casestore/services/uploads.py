"""Upload records and one-time upload links (the files themselves: bot/casestore/uploads.py)."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.casestore import caseno
from bot.casestore.errors import ApiError, invalid, not_found
from bot.casestore.models import Application, Event, Upload, UploadToken
from bot.casestore.services.common import StoreBase, Viewer, applicant_app, hash_token, iso, upload_view


class Uploads(StoreBase):
    def record_uploads(self, *, case_no: str | None, draft_id: str | None, viewer: Viewer,
                       phone: str | None, stored: list[dict], material_id: str | None,
                       token_hash: str | None = None) -> list[dict]:
        """Record files already written to disk (see uploads.py); marks a one-time token used."""
        if material_id is not None and not (isinstance(material_id, str) and material_id in self.guide.materials):
            raise invalid([{"field": "material_id", "message": "材料代码不在办事指南的材料清单中。"}])
        now = self.clock()
        with self.db.writing() as s:
            app = None
            token = None
            if token_hash is not None:
                token = self._live_token(s, token_hash)
                token.used_at = now
                material_id = material_id or token.material_id
                if token.application_id is None:
                    draft_id = token.draft_id
            if case_no is not None:
                number = caseno.normalize_case_no(case_no)
                if number is None:
                    raise not_found()
                app = applicant_app(s, number, viewer, phone,
                                                    token.application_id if token else None)
            elif draft_id is None:
                raise invalid([{"field": "draft_id", "message": "请指定申请编号或草稿编号。"}])
            rows = []
            for f in stored:
                up = Upload(upload_id=f["upload_id"], application_id=app.id if app else None,
                            draft_id=None if app else draft_id, material_id=material_id,
                            filename=f["filename"], content_type=f["content_type"], size=f["size"],
                            sha256=f["sha256"], storage_path=f["storage_path"],
                            uploaded_by=viewer.actor, created_at=now)
                s.add(up)
                rows.append(up)
            s.flush()
            if app is not None:
                s.add(Event(application_id=app.id, at=now, actor=viewer.actor, action="upload",
                            detail={"files": [{"upload_id": u.upload_id, "filename": u.filename,
                                               "sha256": u.sha256, "size": u.size,
                                               "material_id": u.material_id} for u in rows]}))
            return [upload_view(u) for u in rows]

    def check_case_writer(self, case_no: str, viewer: Viewer, phone: str | None) -> None:
        """404/403 unless `viewer` (with `phone`) may add to the case — before files are written."""
        number = caseno.normalize_case_no(case_no)
        if number is None:
            raise not_found()
        with self.db.reading() as s:
            applicant_app(s, number, viewer, phone)

    def token_target(self, token_hash: str) -> dict:
        """What a one-time upload token is for (raises 404/410 when unknown, used or expired)."""
        with self.db.reading() as s:
            t = self._live_token(s, token_hash)
            case_no = None
            if t.application_id is not None:
                case_no = s.execute(select(Application.case_no).where(Application.id == t.application_id)).scalar_one()
            return {"case_no": case_no, "draft_id": t.draft_id, "material_id": t.material_id,
                    "expires_at": iso(t.expires_at)}

    def _live_token(self, s: Session, token_hash: str) -> UploadToken:
        t = s.execute(select(UploadToken).where(UploadToken.token_hash == token_hash)).scalar_one_or_none()
        if t is None:
            raise ApiError(404, "upload_token_unknown", "上传链接无效，请回到对话中重新获取上传链接。")
        if t.used_at is not None:
            raise ApiError(410, "upload_token_used", "该上传链接已经使用过，请回到对话中重新获取上传链接。")
        if t.expires_at <= self.clock():
            raise ApiError(410, "upload_token_expired", "该上传链接已过期，请回到对话中重新获取上传链接。")
        return t

    def create_upload_token(self, body: Any, viewer: Viewer) -> dict:
        if not isinstance(body, dict):
            raise invalid([{"field": "", "message": "请求内容应为JSON对象。"}])
        problems = []
        case_no, draft_id, material_id = body.get("case_no"), body.get("draft_id"), body.get("material_id")
        if case_no is not None and not isinstance(case_no, str):
            problems.append({"field": "case_no", "message": "申请编号应为文字，例如 XF-20261125-48275。"})
        if (case_no is None) == (draft_id is None):
            problems.append({"field": "case_no", "message": "请指定申请编号 case_no 或草稿编号 draft_id（二选一）。"})
        if draft_id is not None and (not isinstance(draft_id, str) or not 1 <= len(draft_id) <= 128):
            problems.append({"field": "draft_id", "message": "草稿编号应为1至128个字符。"})
        if material_id is not None and not (isinstance(material_id, str) and material_id in self.guide.materials):
            problems.append({"field": "material_id", "message": "材料代码不在办事指南的材料清单中。"})
        minutes = body.get("expires_in_minutes", self.settings.upload_token_ttl_minutes)
        if not isinstance(minutes, int) or isinstance(minutes, bool) or not 1 <= minutes <= 7 * 24 * 60:
            problems.append({"field": "expires_in_minutes", "message": "有效期应为1至10080分钟。"})
        if problems:
            raise invalid(problems)
        token = secrets.token_urlsafe(24)
        now = self.clock()
        expires = now + dt.timedelta(minutes=minutes)
        with self.db.writing() as s:
            app_id = None
            if case_no is not None:
                number = caseno.normalize_case_no(str(case_no))
                app_id = number and s.execute(select(Application.id).where(Application.case_no == number)).scalar_one_or_none()
                if not app_id:
                    raise not_found()
                case_no = number
            s.add(UploadToken(token_hash=hash_token(token), application_id=app_id, draft_id=draft_id,
                              material_id=material_id, created_by=viewer.actor, created_at=now,
                              expires_at=expires))
        return {"token": token, "url": f"{self.settings.base_url}/upload/{token}",
                "case_no": case_no, "draft_id": draft_id, "expires_at": iso(expires)}

    def draft_uploads(self, draft_id: str, viewer: Viewer) -> list[dict]:
        with self.db.reading() as s:
            rows = s.execute(select(Upload).where(Upload.draft_id == draft_id).order_by(Upload.id)).scalars()
            return [upload_view(u) | {"linked": u.application_id is not None} for u in rows]

