"""`python -m bot.casestore serve` (migrate, then listen on CASESTORE_HOST:CASESTORE_PORT)
or `python -m bot.casestore migrate` (schema only). Configuration: bot/casestore/settings.py."""

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
    args = parser.parse_args(argv)

    try:
        settings = Settings.from_env()
        if args.command == "serve":
            changes = {k: v for k, v in (("host", args.host), ("port", args.port)) if v}
            settings = settings.with_(**changes)
            settings.department_tokens()  # fail fast on a bad CASESTORE_DEPT_TOKENS
    except SettingsError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2

    from bot.casestore.db import migrate

    if args.command == "migrate" or not args.no_migrate:
        migrate(settings.database_url)
    if args.command == "migrate":
        print("database is up to date")
        return 0

    from bot.casestore.app import create_app
    from bot.log_privacy import mask_personal_data_in_logs

    mask_personal_data_in_logs()
    app = create_app(settings)
    app.run(host=settings.host, port=settings.port, access_log=False, motd=False, workers=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
