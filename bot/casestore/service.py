"""The case store's business logic, synchronous, one database transaction per call.

`CaseStore` is a thin facade over one module per job in `bot/casestore/services/`:

| module | job |
|---|---|
| submission.py | new applications (idempotent), routing to departments, deadlines (deadlines.py) |
| views.py | one application as its caller may see it |
| workflow.py | department decisions, resubmission, the result on approval (`_transition`) |
| changes.py | the applicant's withdrawal and corrections before acceptance |
| dependencies.py | items of one application decided in order (list removal before the penalty) |
| uploads.py | upload records and one-time upload links |
| reminders.py | reminders (双书同达) |
| metrics.py | service metrics |
| lookups.py | look-up limits (wrong phone per case, failures per client) |
| common.py | `Viewer`, state names and moves, the base (db, guide, clock), view helpers |

Who may call what is decided at the route (bot/casestore/authz.py); the services only scope
data to the caller (a department's own items, an applicant's phone). The HTTP layer
(bot/casestore/routes/) runs these methods in worker threads. Every state change goes through
`Workflow._transition`, which checks the allowed moves, bumps the item's version (optimistic
concurrency) and writes an audit event in the same transaction. Nothing is ever deleted.

A new job gets its own module and one more base class below.
"""

from __future__ import annotations

from bot.casestore.services.common import (  # noqa: F401 - the public names of the store
    ACTION_NAMES, APPLICATION_STATE_NAMES, FINAL_STATES, OPEN_STATES, STATE_NAMES, TRANSITIONS,
    Viewer, application_state, hash_token, is_overdue, mask_phone, phone_matches, request_hash,
)
from bot.casestore.services.changes import ApplicantChanges
from bot.casestore.services.deadlines import NOTICE_CAVEAT  # noqa: F401
from bot.casestore.services.lookups import LookupLimits
from bot.casestore.services.metrics import Metrics
from bot.casestore.services.reminders import Reminders
from bot.casestore.services.submission import Submission
from bot.casestore.services.uploads import Uploads
from bot.casestore.services.workflow import Workflow


class CaseStore(Submission, ApplicantChanges, Workflow, Uploads, Reminders, Metrics, LookupLimits):
    """The whole store: settings, database, guide and clock, and every job's methods."""
