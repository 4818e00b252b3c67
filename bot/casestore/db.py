"""Engines, sessions and migrations.

The store uses SQLAlchemy's synchronous engine (1.4, `future=True`) and runs each unit of work
in a worker thread (see routes/common.py), so the event loop never waits on the database. On SQLite:
WAL journal, a busy timeout, and write transactions opened with `BEGIN IMMEDIATE` so two
writers queue up instead of failing half-way through with "database is locked". On
PostgreSQL, concurrent updates of one item are caught by the item's version column
(optimistic concurrency), and the loser gets 409.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Iterator

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

from bot.casestore.settings import Settings

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def _is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def make_engine(url: str, *, immediate: bool = False) -> Engine:
    """An engine for `url`; on SQLite, `immediate=True` makes every transaction a write lock."""
    if not _is_sqlite(url):
        return create_engine(url, future=True, pool_pre_ping=True, pool_size=10, max_overflow=10)
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    # QueuePool keeps connections (and their PRAGMAs) across requests; SQLAlchemy 1.4's default
    # for a SQLite file would reconnect for every session.
    engine = create_engine(url, future=True, poolclass=QueuePool, pool_size=8, max_overflow=8,
                           connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # pragma: no cover - exercised through every test
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (pysqlite's own is broken)
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # pragma: no cover
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


class Database:
    """A reader and a writer session factory on one database."""

    def __init__(self, url: str):
        self.url = url
        self.sqlite = _is_sqlite(url)
        self.engine = make_engine(url)
        self.write_engine = make_engine(url, immediate=True) if self.sqlite else self.engine
        self._read = sessionmaker(self.engine, future=True, expire_on_commit=False)
        self._write = sessionmaker(self.write_engine, future=True, expire_on_commit=False)

    @contextlib.contextmanager
    def reading(self) -> Iterator[Session]:
        with self._read() as session:
            yield session

    @contextlib.contextmanager
    def writing(self) -> Iterator[Session]:
        """A session whose transaction commits on success and rolls back on any error."""
        with self._write() as session:
            with session.begin():
                yield session

    def dispose(self) -> None:
        self.engine.dispose()
        if self.write_engine is not self.engine:
            self.write_engine.dispose()


def alembic_config(url: str):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def migrate(url: str | None = None, revision: str = "head") -> None:
    """Bring the schema to `revision` (default: the latest) with Alembic."""
    from alembic import command

    url = url or Settings.from_env().database_url
    if _is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(url), revision)

