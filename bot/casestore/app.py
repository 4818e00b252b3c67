"""HTTP API of the case store (sanic 21.12). See docs/api.md and docs/openapi.yaml.

`create_app` builds the app: settings and store on `app.ctx`, the database thread pool, the
outbox loop, and the routes — one blueprint per resource in bot/casestore/routes/, each
route declaring who may call it (bot/casestore/authz.py).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from concurrent.futures import ThreadPoolExecutor

from sanic import Sanic

from bot.casestore import http_guard, routes
from bot.casestore.routes.common import dumps, run
from bot.casestore.routes.errors import on_error
from bot.casestore.service import CaseStore
from bot.casestore.settings import Settings

log = logging.getLogger("bot.casestore")
_names = itertools.count(1)


def create_app(settings: Settings | None = None, store: CaseStore | None = None) -> Sanic:
    """The sanic app; the schema must already be migrated (see `bot.casestore.db.migrate`)."""
    settings = settings or Settings.from_env()
    app = Sanic(f"casestore_{next(_names)}", dumps=dumps)
    app.config.FALLBACK_ERROR_FORMAT = "json"
    # Whole-request cap: every allowed file at full size plus form overhead. Per-file sizes
    # are checked in uploads.check_files (413 with the file named).
    app.config.REQUEST_MAX_SIZE = settings.upload_max_bytes * settings.upload_max_files + 1024 * 1024
    app.config.REQUEST_TIMEOUT = 60
    app.config.RESPONSE_TIMEOUT = 60
    app.config.PROXIES_COUNT = settings.proxies_count or None  # client address behind proxies
    app.ctx.settings = settings
    app.ctx.store = store
    app.ctx.dept_tokens = settings.department_tokens()
    app.ctx.executor = None
    app.ctx.outbox_task = None
    app.ctx.notify_task = None

    @app.before_server_start
    async def _start(app_, _loop):
        app_.ctx.executor = ThreadPoolExecutor(max_workers=8, thread_name_prefix="casestore-db")
        if app_.ctx.store is None:
            app_.ctx.store = CaseStore(settings)
        _mask_logs()

    @app.after_server_start
    async def _start_outbox(app_, _loop):
        if settings.outbox_interval > 0:
            app_.ctx.outbox_task = asyncio.get_running_loop().create_task(_outbox_loop(app_))
        if settings.notify_interval > 0:
            app_.ctx.notify_task = asyncio.get_running_loop().create_task(_notify_loop(app_))

    @app.before_server_stop
    async def _stop(app_, _loop):
        for task in (app_.ctx.outbox_task, app_.ctx.notify_task):
            if task is not None:
                task.cancel()
                try:
                    await task
                except (asyncio.CancelledError, Exception):
                    pass
        if app_.ctx.executor is not None:
            app_.ctx.executor.shutdown(wait=True)

    http_guard.install(app, settings.frame_ancestors)
    routes.register(app)
    app.error_handler.add(Exception, on_error)
    return app


async def _notify_loop(app: Sanic) -> None:
    """Pushed reminders and status notices (bot/casestore/notify.py), at most once each."""
    from bot.casestore.notify import default_senders, send_due

    interval = app.ctx.settings.notify_interval
    senders = default_senders(app.ctx.settings)
    while True:
        try:
            await run(app, send_due, app.ctx.store, None, senders)
        except asyncio.CancelledError:
            raise
        except Exception:  # keep the loop alive; the rows stay queued
            log.exception("notify run failed")
        await asyncio.sleep(interval)


async def _outbox_loop(app: Sanic) -> None:
    from bot.casestore.outbox import deliver_due

    interval = app.ctx.settings.outbox_interval
    while True:
        try:
            await run(app, deliver_due, None, app.ctx.store)
        except asyncio.CancelledError:
            raise
        except Exception:  # keep the loop alive; the rows stay pending and are retried
            log.exception("outbox run failed")
        await asyncio.sleep(interval)


def _mask_logs() -> None:
    from bot.parsing.masking import PersonalDataFilter

    for name in ("sanic.root", "sanic.error", "sanic.access", "bot.casestore"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, PersonalDataFilter) for f in logger.filters):
            logger.addFilter(PersonalDataFilter())
