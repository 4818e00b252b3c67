"""The case store's services, one module per job; `bot.casestore.service.CaseStore` joins them."""
