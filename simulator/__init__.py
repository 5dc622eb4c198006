"""Strava API simulator: a stand-in for Strava across processes (e2e tests, the demo, benchmarks).

It never talks to strava.com and imports nothing from the project's other packages.
Entry points: ``simulator.app.create_app``, ``simulator.testing`` helpers, ``runsmart simulator``.
"""
