"""Telling people: the notification outbox's delivery (signed app webhooks, apprise) and the iCal feed.

Outbox rows are written by whoever changes a plan, in the same transaction; `notify.delivery.Notifier` sends
them afterwards, one row at a time under `FOR UPDATE SKIP LOCKED`. See docs/notifications.md.
"""
