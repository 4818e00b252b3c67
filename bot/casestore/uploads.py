"""Storing uploaded materials on disk (outside the database), checked and checksummed.

Accepted: PDF, JPEG, PNG — by file name extension, declared type and the file's first bytes
(all three must agree). Files are written to a temporary name and renamed into place, so a
failed request never leaves a half-written file under a real name.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import tempfile
from pathlib import Path

from bot.casestore.errors import ApiError

TYPES = {  # extension -> (canonical content type, magic prefix)
    ".pdf": ("application/pdf", b"%PDF-"),
    ".jpg": ("image/jpeg", b"\xff\xd8\xff"),
    ".jpeg": ("image/jpeg", b"\xff\xd8\xff"),
    ".png": ("image/png", b"\x89PNG\r\n\x1a\n"),
}
DECLARED_OK = {"application/pdf", "image/jpeg", "image/jpg", "image/pjpeg", "image/png",
               "application/octet-stream", ""}


def human_size(n: int) -> str:
    return f"{n / 1024 / 1024:.0f} MB" if n >= 1024 * 1024 else f"{n / 1024:.0f} KB"


def check_files(files: list[tuple[str, str, bytes]], max_bytes: int, max_files: int) -> list[dict]:
    """Check (name, declared type, body) triples; raises 400/413/415 with every problem found."""
    if not files:
        raise ApiError(400, "no_file", "没有收到文件，请选择要上传的材料（表单字段 file）。")
    if len(files) > max_files:
        raise ApiError(413, "too_many_files", f"一次最多上传{max_files}个文件，请分批上传。")
    too_big, wrong = [], []
    checked = []
    for n, (name, declared, body) in enumerate(files):
        name = os.path.basename((name or "").replace("\\", "/"))[:200] or f"file{n + 1}"
        if len(body) > max_bytes:
            too_big.append({"field": f"file[{n}]",
                            "message": f"文件“{name}”大小为{human_size(len(body))}，超过单个文件{human_size(max_bytes)}的上限。"})
            continue
        ext = Path(name).suffix.lower()
        kind = TYPES.get(ext)
        declared = (declared or "").split(";")[0].strip().lower()
        if kind is None or declared not in DECLARED_OK | {kind[0]} or not body.startswith(kind[1]):
            wrong.append({"field": f"file[{n}]",
                          "message": f"文件“{name}”不是PDF、JPG或PNG格式，请转换后再上传。"})
            continue
        if not body:
            wrong.append({"field": f"file[{n}]", "message": f"文件“{name}”是空文件。"})
            continue
        checked.append({"filename": name, "content_type": kind[0], "ext": ext, "body": body})
    if too_big:
        raise ApiError(413, "file_too_large",
                       f"上传的文件过大，单个文件不能超过{human_size(max_bytes)}，可以压缩或分页扫描后再上传。",
                       too_big)
    if wrong:
        raise ApiError(415, "unsupported_file_type", "只接受PDF、JPG、PNG格式的文件。", wrong)
    return checked


def store_files(checked: list[dict], upload_dir: Path, folder: str) -> list[dict]:
    """Write checked files under upload_dir/folder; returns rows for the `uploads` table."""
    target = Path(upload_dir) / folder
    target.mkdir(parents=True, exist_ok=True)
    stored = []
    try:
        for f in checked:
            upload_id = "U" + secrets.token_hex(10).upper()
            digest = hashlib.sha256(f["body"]).hexdigest()
            path = target / f"{upload_id}{f['ext']}"
            fd, tmp = tempfile.mkstemp(dir=target, prefix=".part-")
            with os.fdopen(fd, "wb") as fh:
                fh.write(f["body"])
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
            stored.append({"upload_id": upload_id, "filename": f["filename"],
                           "content_type": f["content_type"], "size": len(f["body"]),
                           "sha256": digest, "storage_path": str(path)})
    except OSError:
        remove_files(stored)
        raise ApiError(507, "storage_failed", "文件保存失败，请稍后再试。") from None
    return stored


def remove_files(stored: list[dict]) -> None:
    for f in stored:
        try:
            os.unlink(f["storage_path"])
        except OSError:
            pass


def folder_for(case_no: str | None, draft_id: str | None) -> str:
    if case_no:
        return case_no
    return "draft-" + hashlib.sha256((draft_id or "").encode("utf-8")).hexdigest()[:20]
