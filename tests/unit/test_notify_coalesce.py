"""The pure half of coalescing (notify/coalesce.py): when a group is due and what its one message says."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from notify.coalesce import MAX_HOLD_WINDOWS, Part, due_at, merge_payloads

T0 = datetime(2026, 7, 20, 8, 0, tzinfo=UTC)


def part(n: int, **payload: object) -> Part:
    return Part(n, f"plan.updated:1:v{n}", dict(payload))


def test_a_group_is_due_a_window_after_its_newest_row_and_never_later_than_the_cap() -> None:
    seconds = [0, 10, 45]
    created = [T0 + timedelta(seconds=s) for s in seconds]
    assert due_at(created, 60) == T0 + timedelta(seconds=105)
    stream = [T0 + timedelta(seconds=50 * n) for n in range(20)]  # a row every 50 s, window 60 s
    assert due_at(stream, 60) == T0 + timedelta(seconds=60 * MAX_HOLD_WINDOWS)


def test_scalars_come_from_the_newest_part_and_lists_keep_each_item_once_in_order() -> None:
    merged = merge_payloads(
        [
            part(1, version=1, cause="synced", reasons=["a", "b"], plan_id=3),
            part(2, version=2, cause="undo", reasons=["b", "c"]),
        ]
    )
    assert (merged["version"], merged["cause"], merged["plan_id"]) == (2, "undo", 3)
    assert merged["reasons"] == ["a", "b", "c"]
    assert merged["merged"] == [
        {"outbox_id": 1, "idempotency_key": "plan.updated:1:v1"},
        {"outbox_id": 2, "idempotency_key": "plan.updated:1:v2"},
    ]


def test_an_object_with_an_id_appears_once_as_last_written() -> None:
    first = {"id": "volume@2026-07-27", "to": 40}
    revised = {"id": "volume@2026-07-27", "to": 36}
    other = {"id": "speed@2026-07-27", "to": 1}
    merged = merge_payloads([part(1, changes=[first]), part(2, changes=[other, revised])])
    assert merged["changes"] == [revised, other]


def test_messages_are_each_kept_once_the_newest_first_and_said_at_once() -> None:
    older = {"headline": "Easier week", "body": "b", "details": ["1", "2"]}
    newer = {"headline": "Back on track", "body": "c", "details": ["2", "3"]}
    merged = merge_payloads([part(1, message=older), part(2, message=newer), part(3, message=older)])
    assert merged["messages"] == [older, newer]
    # One message for a channel that shows one, from the catalogue (tests/unit/messages/test_combined.py reads
    # real payloads): with no decision or workout to say, it counts the versions and keeps the newest words.
    assert merged["message"]["headline"] == "Your plan changed 3 times"
    assert (merged["message"]["body"], merged["message"]["details"]) == ("b", ["1", "2"])
    assert merge_payloads([part(1, message=newer)])["message"] == newer
    assert "messages" not in merge_payloads([part(1, reasons=["x"])])


def test_a_field_that_is_a_list_in_one_part_only_is_not_mixed() -> None:
    merged = merge_payloads([part(1, extra="text"), part(2, extra=["list"])])
    assert merged["extra"] == ["list"]
