"""Activity sources (docs/sources.md): Strava and activity files (FIT, GPX, TCX) behind one interface.

Every source hands in its copy of a run; `sources.ledger` files each copy under one `activities` row per run
(the same run from two sources, or twice from files, becomes one activity) and the plan pipeline reads those
rows as before. Each source's copies are kept apart, so one source's data can be withdrawn or purged alone.
"""
