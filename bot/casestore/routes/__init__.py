"""The case store's HTTP routes, one sanic blueprint per resource.

| module | routes |
|---|---|
| applications.py | POST /api/v1/applications, GET /api/v1/applications/{case_no}, POST …/resubmit |
| items.py | POST /api/v1/items/{item_id}/{action} |
| uploads.py | POST /api/v1/upload-tokens, GET /api/v1/uploads, POST …/{case_no}/materials, /upload/{token} |
| reminders.py | POST /api/v1/reminders, GET /api/v1/reminders/due, POST …/{id}/sent |
| metrics.py | GET /api/v1/metrics |
| paths.py | POST /api/v1/paths/determine |
| pages.py | /healthz, /widget (redirect to the Rasa web channel), /api/v1/openapi.yaml |

Each module has `blueprint()` (a fresh Blueprint, so several apps can live in one process).
Who may call a route is declared on it with bot/casestore/authz.py. A new resource: add a
module here with a `blueprint()` function; `register` finds it (no list to edit).
"""

from __future__ import annotations

import importlib
import pkgutil


def modules() -> list:
    """Every module of this package that defines `blueprint()`, by name."""
    found = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        if callable(getattr(module, "blueprint", None)):
            found.append(module)
    return found


def register(app) -> None:
    for module in modules():
        app.blueprint(module.blueprint())
