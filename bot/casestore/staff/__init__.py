"""The staff side of the case store: accounts and sessions (accounts.py), the audit log
(audit.py), the department workbench (workbench.py), the service dashboard (dashboard.py),
the help-desk console and human handoff (handoff.py), and their server-rendered pages
(pages.py, templates/). Permission checks happen at the route (pages.require)."""
