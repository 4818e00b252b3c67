"""`python -m bot.casestore users …`: staff accounts from the command line.

    users add NAME --display 张三 --role officer --department tax   (password asked twice)
    users add NAME ... --password-stdin                             (password from stdin)
    users passwd NAME | users disable NAME | users enable NAME | users list
    users seed-dev      development accounts with known passwords (refused under APP_ENV=production)
"""

from __future__ import annotations

import argparse
import getpass
import sys

from bot.casestore.staff.accounts import ROLES, AccountError, Accounts
from bot.casestore.staff.config import StaffSettings

# Development accounts for `make run` and the page tests; password = "dev-" + user name.
DEV_ACCOUNTS = (
    ("agent1", "坐席（演示）", "agent", None),
    ("supervisor1", "主管（演示）", "supervisor", None),
    ("tax1", "税务经办人（演示）", "officer", "tax"),
    ("market1", "市场监管经办人（演示）", "officer", "market_regulation"),
)


def add_parser(sub) -> None:
    users = sub.add_parser("users", help="staff accounts (agents, department officers, supervisors)")
    us = users.add_subparsers(dest="users_command", required=True)
    add = us.add_parser("add", help="create an account")
    add.add_argument("username")
    add.add_argument("--display", required=True, help="姓名 shown on pages and in the audit trail")
    add.add_argument("--role", required=True, choices=sorted(ROLES))
    add.add_argument("--department", help="department code (officers only)")
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    pw = us.add_parser("passwd", help="set a new password (ends the user's sessions)")
    pw.add_argument("username")
    pw.add_argument("--password-stdin", action="store_true")
    for name in ("disable", "enable"):
        p = us.add_parser(name, help=f"{name} an account")
        p.add_argument("username")
    us.add_parser("list", help="list accounts")
    us.add_parser("seed-dev", help="development accounts, password dev-<username> (not in production)")


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("密码 password: ")
    if getpass.getpass("再次输入 again: ") != first:
        raise AccountError("两次输入的密码不一致。")
    return first


def run(args, settings) -> int:
    from bot.casestore.db import Database, migrate
    from bot.guide.loader import load_guide

    migrate(settings.database_url)
    staff = StaffSettings.from_env()
    guide = load_guide()
    db = Database(settings.database_url)
    accounts = Accounts(db, staff, {c: guide.department_name(c) for c in guide.departments})
    try:
        cmd = args.users_command
        if cmd == "add":
            u = accounts.add_user(args.username, args.display, args.role, _password(args.password_stdin),
                                  args.department)
            print(f"created {u.username} ({u.role}{'/' + u.department if u.department else ''})")
        elif cmd == "passwd":
            accounts.set_password(args.username, _password(args.password_stdin))
            print(f"password changed for {args.username}; their sessions were ended")
        elif cmd in ("disable", "enable"):
            accounts.set_active(args.username, cmd == "enable")
            print(f"{args.username} {cmd}d")
        elif cmd == "list":
            for u in accounts.list_users():
                flags = ("" if u["active"] else " disabled") + (" dev-default" if u["dev_default"] else "")
                print(f"{u['username']}\t{u['role']}\t{u['department'] or '-'}\t{u['display_name']}{flags}")
        elif cmd == "seed-dev":
            if staff.production:
                raise AccountError("APP_ENV=production：不创建默认密码账号 (no default passwords in production).")
            existing = {u["username"] for u in accounts.list_users()}
            for username, display, role, dept in DEV_ACCOUNTS:
                if username not in existing:
                    accounts.add_user(username, display, role, f"dev-{username}", dept, dev_default=True)
                    print(f"created {username} (password dev-{username})")
    except AccountError as exc:
        print(f"错误 error: {exc}", file=sys.stderr)
        return 2
    finally:
        db.dispose()
    return 0


def main(argv: list[str] | None = None) -> int:  # pragma: no cover - used through __main__
    parser = argparse.ArgumentParser(prog="python -m bot.casestore")
    add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    from bot.casestore.settings import Settings

    return run(args, Settings.from_env())
