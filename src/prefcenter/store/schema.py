"""The whole schema's metadata: every area's models module is imported here (Alembic and tests use it)."""

from prefcenter.store import (
    models,  # noqa: F401  (core tables)
    models_auth,  # noqa: F401  (sign-in throttle, revoked admin sessions)
    models_checks,  # noqa: F401  (import ledger)
    models_dsr,  # noqa: F401  (DSR requests, jobs, webhooks)
    models_feedback,  # noqa: F401  (CSAT, NPS and CES answers)
    models_insights,  # noqa: F401  (insights rollups and their watermark)
    models_interactions,  # noqa: F401  (contacts on any channel)
    models_privacy,  # noqa: F401  (the privacy center's self-service requests)
    models_sites,  # noqa: F401  (sites and their widget origins)
    models_staff,  # noqa: F401  (staff accounts and their one-time links)
)
from prefcenter.store.models import Base

metadata = Base.metadata
