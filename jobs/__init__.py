"""Scheduled jobs in each athlete's timezone: weekly review, missed-workout sweep, token refresh ahead of use."""
