"""The catalogue: one Jinja2 template per message (messages/templates/<name>.txt), rendered into a ``Message``.

A template defines up to three blocks:

* ``headline``: one line (whitespace is collapsed);
* ``body``: prose; lines are joined into paragraphs, a blank line starts a new paragraph, and a line that
  starts with "• " stays a line of its own (a list inside the text);
* ``details``: the numbers behind the message, one item per non-empty line.

Numbers, distances, paces, durations and dates are said only through the filters below (``Audience``: the
athlete's units and timezone); plurals through ``ngettext`` (Jinja2's i18n extension over gettext), so a count
of 1 is never followed by a plural. Undefined names fail loudly (``StrictUndefined``): a template can never
show a placeholder. A new message is a new template; ``templates()`` lists them all for the tests.
"""

from __future__ import annotations

import gettext
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, Template, pass_context
from jinja2.runtime import Context

from messages import vocabulary
from messages.audience import Audience
from planner.adapt import SPEED_OVER_MIN_S

SUFFIX = ".txt"
BLOCKS = ("headline", "body", "details")
BULLET = "• "
# English plural rules; a translation catalogue would replace this object.
TRANSLATIONS = gettext.NullTranslations()


def ngettext(singular: str, plural: str, n: int) -> str:
    """The plural form for ``n`` (Python callers; templates use ``ngettext`` of the i18n extension)."""
    return TRANSLATIONS.ngettext(singular, plural, n) % {"num": n}


@dataclass(frozen=True)
class Message:
    """What the athlete reads: a headline, the text, and the numbers behind it."""

    headline: str
    body: str
    details: tuple[str, ...] = field(default=())

    def as_dict(self) -> dict[str, Any]:
        return {"headline": self.headline, "body": self.body, "details": list(self.details)}

    def text(self) -> str:
        """The whole message as plain text (a push, an e-mail, a calendar description)."""
        return "\n\n".join(p for p in (self.headline, self.body, "\n".join(self.details)) if p)


def _audience_filter(method: Callable[..., str]) -> Callable[..., str]:
    @pass_context
    def apply(context: Context, value: Any, *args: Any) -> str:
        audience: Audience = context["audience"]
        return method(audience, value, *args)

    return apply


FILTERS: Mapping[str, Callable[..., str]] = {
    "distance": _audience_filter(Audience.distance),
    "rep_distance": _audience_filter(Audience.rep_distance),
    "pace": _audience_filter(Audience.pace),
    "pace_range": _audience_filter(Audience.pace_range),
    "duration": _audience_filter(Audience.duration),
    "clock": _audience_filter(Audience.clock),
    "number": _audience_filter(Audience.number),
    "percent": _audience_filter(Audience.percent),
    "day": _audience_filter(Audience.day),
    "day_month": _audience_filter(Audience.day_month),
    "long_day": _audience_filter(Audience.long_day),
    "day_span": _audience_filter(Audience.day_span),
    "week": _audience_filter(Audience.week),
    "in_week": _audience_filter(Audience.in_week),
}


def sentence_start(text: str) -> str:
    """``text`` opening a sentence: its first letter upper case, the rest as it is ("The week of 9 Nov")."""
    return text[:1].upper() + text[1:]


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("messages", "templates"),
        undefined=StrictUndefined,
        autoescape=False,  # plain text; the HTML page escapes what it shows
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(TRANSLATIONS, newstyle=True)  # type: ignore[attr-defined]
    # The planner's thresholds a template compares facts with (never restated as numbers in a template).
    env.globals.update(speed_over_min_s=SPEED_OVER_MIN_S)
    env.filters.update(FILTERS)
    env.filters.update(
        kind=vocabulary.workout_kind,
        short_kind=vocabulary.workout_short,
        workout_name=vocabulary.workout_name,
        pace_zone=vocabulary.pace_zone,
        pace_name=vocabulary.pace_name,
        done_phrase=vocabulary.done_phrase,
        sentence_start=sentence_start,
    )
    return env


def templates() -> list[str]:
    """Every message of the catalogue, by name ("plan_updated", "changes/volume_rebuild" ...)."""
    return sorted(name.removesuffix(SUFFIX) for name in environment().list_templates(filter_func=_is_message))


def _is_message(name: str) -> bool:
    return name.endswith(SUFFIX) and not name.rsplit("/", 1)[-1].startswith("_")


def exists(name: str) -> bool:
    return f"{name}{SUFFIX}" in environment().list_templates()


def template(name: str) -> Template:
    return environment().get_template(f"{name}{SUFFIX}")


def render_blocks(name: str, audience: Audience, blocks: tuple[str, ...], **context: Any) -> dict[str, str]:
    """The raw text of some blocks of ``name`` (a block it does not define is empty)."""
    tpl = template(name)
    ctx = tpl.new_context({"audience": audience, **context})
    return {block: "".join(tpl.blocks[block](ctx)) if block in tpl.blocks else "" for block in blocks}


def render(name: str, audience: Audience, **context: Any) -> Message:
    """The message ``name`` for ``audience``; ``context`` holds the template's facts and values."""
    text = render_blocks(name, audience, BLOCKS, **context)
    return Message(
        headline=" ".join(text["headline"].split()),
        body=prose(text["body"]),
        details=tuple(" ".join(line.split()) for line in text["details"].splitlines() if line.strip()),
    )


def prose(text: str) -> str:
    """Paragraphs from template text: lines joined by a space, blank lines between paragraphs, "• " lines kept."""
    paragraphs: list[list[str]] = [[]]
    for raw in text.splitlines():
        line = " ".join(raw.split())
        if not line:
            if paragraphs[-1]:
                paragraphs.append([])
        elif line.startswith(BULLET) or not paragraphs[-1] or paragraphs[-1][-1].startswith(BULLET):
            paragraphs[-1].append(line)
        else:
            paragraphs[-1][-1] += " " + line
    return "\n\n".join("\n".join(p) for p in paragraphs if p)
