"""The message catalogue (messages/): every template renders, with representative facts, in both unit systems,
and says nothing an athlete must not read (tests/unit/messages/checks.py): no unresolved placeholder, no file,
section or internal code, no "1 hard sessions", no semicolon run-on, no number left unrounded, no distance in
the other unit system. Templates are discovered, so one added later is checked the same way (and must bring
its examples, messages/examples.py)."""

from __future__ import annotations

import pytest

from messages import Units, catalogue, examples
from messages.catalogue import BLOCKS
from planner.reasons import FACTS, NOTICE_FACTS, ChangeCode, NoticeCode
from tests.unit.messages.checks import problems

RENDERED = list(examples.render_all())


def test_every_template_has_examples_and_only_templates_have_them() -> None:
    names = set(catalogue.templates())
    assert names, "no template found"
    for audience in examples.AUDIENCES:
        given = {name for name, contexts in examples.template_examples(audience).items() if contexts}
        assert names - given == set(), "a template without examples in messages/examples.py"
        assert given - names == set(), "examples of a template that does not exist"


def test_every_change_and_notice_code_has_a_template_whose_examples_carry_exactly_its_facts() -> None:
    for code, declared in [*FACTS.items(), *NOTICE_FACTS.items()]:
        folder = "changes" if isinstance(code, ChangeCode) else "notices"
        name = f"{folder}/{code.value}"
        assert catalogue.exists(name), f"{code!r} has no template {name}.txt"
        facts_sets = examples.CHANGE_FACTS.get(code) or examples.NOTICE_FACTS.get(code)  # type: ignore[call-overload]
        assert facts_sets, f"no example facts for {code!r}"
        for facts in facts_sets:
            assert set(facts) == declared, f"{code!r}: the examples drifted from planner/reasons.py"
    assert {c.value for c in ChangeCode} | {c.value for c in NoticeCode} == {
        name.split("/", 1)[1] for name in catalogue.templates() if name.startswith(("changes/", "notices/"))
    }


@pytest.mark.parametrize(
    ("name", "units", "blocks"),
    [
        pytest.param(name, audience.units, blocks, id=f"{name}-{audience.units}")
        for name, audience, _, blocks in RENDERED
    ],
)
def test_every_block_reads_as_the_athlete_should(name: str, units: Units, blocks: dict[str, str]) -> None:
    for block, text in blocks.items():
        assert not problems(text, units), (name, block, text, problems(text, units))


def test_every_message_has_a_one_line_headline_and_a_body_in_sentences() -> None:
    for name, audience, context, _blocks in RENDERED:
        template = catalogue.template(name)
        if not {"headline", "body"} <= set(template.blocks) or name.startswith("workout"):
            continue  # the page's phrases and the workout texts are not messages
        message = catalogue.render(name, audience, **context)
        assert message.headline, (name, message)
        assert "\n" not in message.headline, (name, message)
        assert not message.headline.endswith("."), (name, message.headline)
        if message.body and name != "calendar_event":
            last = message.body.splitlines()[-1]
            assert last.endswith((".", "!", "?")) or last.startswith("• "), (name, message.body)


def test_both_unit_systems_are_rendered_and_differ_where_there_is_a_distance() -> None:
    metric, imperial = examples.AUDIENCES
    shown = {
        (name, str(context)): blocks for name, audience, context, blocks in RENDERED if audience == metric
    }
    for name, audience, context, blocks in RENDERED:
        km = shown.get((name, str(context))) if audience == imperial else None
        if km is not None and any(" km" in text or "/km" in text for text in km.values()):
            assert any(" mi" in text or "/mi" in text or "miles" in text for text in blocks.values()), name


def test_blocks_are_rendered_as_they_are_written() -> None:
    # A block the catalogue reads (headline, body, details) is rendered by name; the check above sees them all.
    names = [name for name, *_ in RENDERED]
    assert set(names) == set(catalogue.templates())
    assert any(set(BLOCKS) <= set(blocks) for *_, blocks in RENDERED)
