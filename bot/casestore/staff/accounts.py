"""Staff accounts, passwords (argon2id via argon2-cffi) and login sessions.

Roles: `agent` (help desk), `officer` (one department), `supervisor` (every department,
read-only on items). Sessions are random tokens; the database keeps only their SHA-256, a
per-session CSRF token, an idle and an absolute expiry. Wrong passwords lock the account for a
while. Under APP_ENV=production accounts created with a development default password are
refused at login, and weak passwords are refused when accounts are created.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select

from bot.casestore.db import Database
from bot.casestore.models import StaffSession, StaffUser, utcnow
from bot.casestore.staff.config import StaffSettings

ROLES = {"agent": "坐席", "officer": "部门经办人", "supervisor": "主管"}
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,39}$")
MIN_PASSWORD = 10
_hasher = PasswordHasher()  # argon2id with the library's recommended parameters
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))  # equal work for unknown user names


class AccountError(ValueError):
    """A bad account request; the message is Chinese and shown as it is."""


@dataclass(frozen=True)
class StaffUserView:
    id: int
    username: str
    display_name: str
    role: str
    department: str | None

    @property
    def role_name(self) -> str:
        return ROLES.get(self.role, self.role)


@dataclass(frozen=True)
class SessionView:
    user: StaffUserView
    csrf_token: str
    expires_at: dt.datetime


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _view(u: StaffUser) -> StaffUserView:
    return StaffUserView(u.id, u.username, u.display_name, u.role, u.department)


def check_password_strength(password: str, username: str) -> None:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise AccountError(f"密码至少{MIN_PASSWORD}位。")
    if username.lower() in password.lower():
        raise AccountError("密码不能包含用户名。")
    if len(set(password)) < 5:
        raise AccountError("密码过于简单，请混合使用字母、数字和符号。")
    if password.lower().startswith("dev-"):
        raise AccountError("不能使用开发环境的默认密码。")


class Accounts:
    def __init__(self, db: Database, settings: StaffSettings, departments: dict[str, str],
                 clock=utcnow):
        self.db = db
        self.settings = settings
        self.departments = departments  # code -> name
        self.clock = clock

    # ------------------------------------------------------------------ accounts
    def add_user(self, username: str, display_name: str, role: str, password: str,
                 department: str | None = None, *, dev_default: bool = False) -> StaffUserView:
        username = (username or "").strip().lower()
        if not USERNAME.match(username):
            raise AccountError("用户名应为2至40位小写字母、数字、点、横线或下划线，以字母或数字开头。")
        if role not in ROLES:
            raise AccountError(f"角色应为 {' / '.join(ROLES)} 之一。")
        if role == "officer":
            if department not in self.departments:
                raise AccountError(f"部门经办人必须指定部门，可选：{', '.join(self.departments)}。")
        elif department:
            raise AccountError("只有部门经办人（officer）属于某个部门。")
        display_name = (display_name or "").strip()
        if not display_name or len(display_name) > 60:
            raise AccountError("请填写姓名（不超过60个字）。")
        if dev_default:
            if self.settings.production:
                raise AccountError("生产环境（APP_ENV=production）不能创建默认密码账号。")
        else:
            check_password_strength(password, username)
        with self.db.writing() as s:
            if s.execute(select(StaffUser.id).where(StaffUser.username == username)).first():
                raise AccountError(f"用户名“{username}”已存在。")
            u = StaffUser(username=username, display_name=display_name, role=role,
                          department=department if role == "officer" else None,
                          password_hash=_hasher.hash(password), dev_default=dev_default,
                          active=True, failed_logins=0, created_at=self.clock())
            s.add(u)
            s.flush()
            return _view(u)

    def set_password(self, username: str, password: str) -> None:
        check_password_strength(password, username)
        with self.db.writing() as s:
            u = s.execute(select(StaffUser).where(StaffUser.username == username)).scalar_one_or_none()
            if u is None:
                raise AccountError(f"没有用户“{username}”。")
            u.password_hash = _hasher.hash(password)
            u.dev_default = False
            u.failed_logins = 0
            u.locked_until = None
            for sess in s.execute(select(StaffSession).where(StaffSession.user_id == u.id,
                                                             StaffSession.ended_at.is_(None))).scalars():
                sess.ended_at = self.clock()

    def set_active(self, username: str, active: bool) -> None:
        with self.db.writing() as s:
            u = s.execute(select(StaffUser).where(StaffUser.username == username)).scalar_one_or_none()
            if u is None:
                raise AccountError(f"没有用户“{username}”。")
            u.active = active
            if not active:
                for sess in s.execute(select(StaffSession).where(StaffSession.user_id == u.id,
                                                                 StaffSession.ended_at.is_(None))).scalars():
                    sess.ended_at = self.clock()

    def list_users(self) -> list[dict]:
        with self.db.reading() as s:
            rows = s.execute(select(StaffUser).order_by(StaffUser.username)).scalars().all()
            return [{"username": u.username, "display_name": u.display_name, "role": u.role,
                     "department": u.department, "active": u.active, "dev_default": u.dev_default}
                    for u in rows]

    # ------------------------------------------------------------------ login
    def login(self, username: str, password: str) -> tuple[str, SessionView]:
        """(session token for the cookie, session); AccountError with a Chinese reason otherwise.

        The reason never tells whether the user name exists."""
        username = (username or "").strip().lower()
        now = self.clock()
        wrong = AccountError("用户名或密码不正确。")
        failure: AccountError | None = None
        with self.db.writing() as s:  # the failure count must commit, so raise after the block
            u = s.execute(select(StaffUser).where(StaffUser.username == username)).scalar_one_or_none()
            if u is None:
                _verify(_DUMMY_HASH, password or "")
                failure = wrong
            elif u.locked_until is not None and u.locked_until > now:
                failure = AccountError(
                    f"密码错误次数过多，账号已临时锁定，请{self.settings.lock_minutes}分钟后再试或联系主管。")
            elif not _verify(u.password_hash, password or ""):
                u.failed_logins = (u.failed_logins or 0) + 1
                if u.failed_logins >= self.settings.max_failures:
                    u.locked_until = now + dt.timedelta(minutes=self.settings.lock_minutes)
                    u.failed_logins = 0
                failure = wrong
            elif not u.active:
                failure = AccountError("该账号已停用，请联系主管。")
            elif u.dev_default and self.settings.production:
                failure = AccountError("生产环境不能使用默认密码账号，请用 python -m bot.casestore users passwd 设置新密码。")
            else:
                u.failed_logins = 0
                u.locked_until = None
                u.last_login_at = now
                if _hasher.check_needs_rehash(u.password_hash):
                    u.password_hash = _hasher.hash(password)
                token = secrets.token_urlsafe(32)
                expires = now + dt.timedelta(hours=self.settings.max_hours)
                sess = StaffSession(token_hash=hash_token(token), user_id=u.id,
                                    csrf_token=secrets.token_urlsafe(32), created_at=now,
                                    last_seen_at=now, expires_at=expires)
                s.add(sess)
                s.flush()
                result = token, SessionView(_view(u), sess.csrf_token, expires)
        if failure is not None:
            raise failure
        return result

    def session(self, token: str | None) -> SessionView | None:
        """The live session for a cookie token (sliding idle expiry), or None."""
        if not token or len(token) > 200:
            return None
        now = self.clock()
        with self.db.writing() as s:
            sess = s.execute(select(StaffSession).where(StaffSession.token_hash == hash_token(token))
                             ).scalar_one_or_none()
            if sess is None or sess.ended_at is not None:
                return None
            idle = dt.timedelta(minutes=self.settings.idle_minutes)
            if sess.expires_at <= now or sess.last_seen_at + idle <= now:
                sess.ended_at = now
                return None
            u = s.get(StaffUser, sess.user_id)
            if u is None or not u.active or (u.dev_default and self.settings.production):
                sess.ended_at = now
                return None
            sess.last_seen_at = now
            return SessionView(_view(u), sess.csrf_token, sess.expires_at)

    def logout(self, token: str | None) -> None:
        if not token:
            return
        with self.db.writing() as s:
            sess = s.execute(select(StaffSession).where(StaffSession.token_hash == hash_token(token))
                             ).scalar_one_or_none()
            if sess is not None and sess.ended_at is None:
                sess.ended_at = self.clock()


def csrf_ok(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(expected.encode(), str(given).encode())


def _verify(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False
