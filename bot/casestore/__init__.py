"""Back-end case store for credit repair applications (信用修复“一件事”).

Entry points: `python -m bot.casestore serve|migrate`, `bot.casestore.app.create_app`,
`bot.casestore.outbox.deliver_due`, `bot.casestore.client.CaseStoreClient`.
"""
