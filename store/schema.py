"""Every table of the schema on one MetaData: what migrations compare against and tests empty between cases."""

from __future__ import annotations

from store import models, plan_models  # noqa: F401  (importing plan_models registers the plan tables)

metadata = models.Base.metadata
