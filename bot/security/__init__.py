"""Security pieces shared by the three services (case store, action server, Rasa):
the production switch (production.py), encryption at rest of the tracker store (crypto.py,
tracker_store.py) and pseudonymous ids in logs (pseudonym.py). Threat model: docs/security.md."""
