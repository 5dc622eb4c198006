"""The catalogue of everything an athlete reads: notifications, the plan page's words, calendar descriptions.

Templates (messages/templates/, Jinja2) say it; ``Audience`` formats every number, distance, pace and date in
the athlete's units and timezone (from a small copy of the English CLDR data, messages/cldr.py, tested equal to
Babel's output); the planner's codes and facts (planner/reasons.py) are what a change's
reason is rendered from. Pure: no database, no HTTP (import-linter keeps it between store and planner).
"""

from messages.audience import Audience, Units
from messages.catalogue import Message, render, templates

__all__ = ["Audience", "Message", "Units", "render", "templates"]
