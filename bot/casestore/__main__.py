"""`python -m bot.casestore serve` (migrate, then listen on CASESTORE_HOST:CASESTORE_PORT)
or `python -m bot.casestore migrate` (schema only)
or `python -m bot.casestore notify [--once]` (the pushed-notice sender as its own worker; the
server runs the same loop itself unless CASESTORE_NOTIFY_INTERVAL=0).
Configuration: bot/casestore/settings.py."""

from __future__ import annotations

import argparse
import sys

from bot.casestore.settings import Settings, SettingsError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.casestore", description="信用修复案件库")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="migrate the database, then serve the HTTP API")
    serve.add_argument("--host", help="default: CASESTORE_HOST or 127.0.0.1")
    serve.add_argument("--port", type=int, help="default: CASESTORE_PORT or 8000")
    serve.add_argument("--no-migrate", action="store_true", help="do not run migrations first")
    sub.add_parser("migrate", help="bring the database schema up to date (alembic upgrade head)")
    notify = sub.add_parser("notify", help="send due reminders and status notices (loop)")
    notify.add_argument("--once", action="store_true", help="one run, then exit")
    notify.add_argument("--interval", type=float, help="seconds between runs (default CASESTORE_NOTIFY_INTERVAL or 30)")
    from bot.casestore.staff import cli as staff_cli

    staff_cli.add_parser(sub)
    args = parser.parse_args(argv)

    if args.command == "serve":
        from bot.security import production

        production.enforce("casestore")  # APP_ENV=production: no development defaults
    try:
        settings = Settings.from_env()
        if args.command == "serve":
            changes = {k: v for k, v in (("host", args.host), ("port", args.port)) if v}
            settings = settings.with_(**changes)
            settings.department_tokens()  # fail fast on a bad CASESTORE_DEPT_TOKENS
    except SettingsError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2

    if args.command == "users":
        return staff_cli.run(args, settings)

    from bot.casestore.db import migrate

    if args.command == "migrate" or not getattr(args, "no_migrate", False):
        migrate(settings.database_url)
    if args.command == "migrate":
        print("database is up to date")
        return 0
    if args.command == "notify":
        return _notify_worker(settings, args.once, args.interval)

    from bot.casestore.app import create_app
    from bot.log_privacy import mask_personal_data_in_logs

    mask_personal_data_in_logs()
    app = create_app(settings)
    app.run(host=settings.host, port=settings.port, access_log=False, motd=False, workers=1)
    return 0


def _notify_worker(settings, once: bool, interval: float | None) -> int:
    import logging
    import time

    from bot.casestore.notify import send_due
    from bot.casestore.service import CaseStore
    from bot.log_privacy import mask_personal_data_in_logs

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    mask_personal_data_in_logs()
    store = CaseStore(settings)
    pause = interval if interval is not None else (settings.notify_interval or 30.0)
    while True:
        try:
            stats = send_due(store)
            if any(stats.values()):
                logging.getLogger("bot.casestore.notify").info("run: %s", stats)
        except Exception:  # keep the worker alive; rows stay queued
            logging.getLogger("bot.casestore.notify").exception("notify run failed")
        if once:
            return 0
        time.sleep(pause)


if __name__ == "__main__":
    sys.exit(main())
