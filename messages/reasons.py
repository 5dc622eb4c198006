"""Why the plan changed, in the athlete's words and units: each change (and each notice about a new plan) is
rendered from its code and its facts (planner/reasons.py) by the catalogue's template for that code
(messages/templates/changes/<code>.txt, notices/<code>.txt).

A change stored before changes carried facts, or with a code the catalogue does not know, falls back to the
planner's own English reason, cleaned of what an athlete must not read (a file or section reference, a run-on
of clauses joined by semicolons).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping

from jinja2.exceptions import UndefinedError

import planner
from messages import catalogue
from messages.audience import Audience
from messages.catalogue import Message
from planner.reasons import FACTS, NOTICE_FACTS, ChangeCode, NoticeCode

log = logging.getLogger(__name__)
# "(science.md §1.5, §3)", "(docs/science.md#spike-rule)", "(110 % spike rule, §2)": references, not reasons.
REFERENCE = re.compile(r"\s*\((?=[^()]*(?:\.md|§))[^()]*\)")
SECTION = re.compile(r"\s*§\s*[\d.]+")


def _declared(code: str, facts: Mapping[str, object], kinds: type[ChangeCode] | type[NoticeCode]) -> bool:
    """The facts hold everything the code's template reads (planner/reasons.py declares them)."""
    try:
        known = kinds(code)
    except ValueError:
        return False
    declared = FACTS[known] if isinstance(known, ChangeCode) else NOTICE_FACTS[known]
    return bool(facts) and declared <= set(facts)


def change_template(code: str) -> str:
    return f"changes/{code}"


def notice_template(code: str) -> str:
    return f"notices/{code}"


def from_facts(change: planner.Change) -> bool:
    """Whether the change is said from its code and facts (else from the planner's words, cleaned)."""
    return _declared(change.code, change.facts, ChangeCode) and catalogue.exists(change_template(change.code))


def change_message(audience: Audience, change: planner.Change) -> Message:
    name = change_template(change.code)
    if from_facts(change):
        try:
            return catalogue.render(name, audience, facts=change.facts, week_start=change.week_start)
        except UndefinedError:
            # Facts of an older planner that lack one the template reads: the planner's words, never a crash
            # inside the transaction that stores the plan (the catalogue's tests render every declared fact set).
            log.warning("messages.facts_mismatch", extra={"code": change.code})
    return catalogue.render("change_without_facts", audience, reason=plain(change.reason))


def notice_message(audience: Audience, notice: planner.Notice) -> Message:
    name = notice_template(notice.code)
    if _declared(notice.code, notice.facts, NoticeCode) and catalogue.exists(name):
        try:
            return catalogue.render(name, audience, facts=notice.facts)
        except UndefinedError:
            log.warning("messages.facts_mismatch", extra={"code": notice.code})
    return catalogue.render("notice_without_facts", audience, text=plain(notice.text))


def plain(text: str) -> str:
    """The planner's English, without references to files or sections and with one sentence per clause."""
    text = SECTION.sub("", REFERENCE.sub("", text))
    clauses = [c.strip() for c in text.split(";") if c.strip()]
    sentences = [c[:1].upper() + c[1:] for c in clauses]
    return " ".join(s if s.endswith((".", "!", "?")) else s + "." for s in sentences)
