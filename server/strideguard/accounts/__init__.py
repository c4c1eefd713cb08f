"""Runners, sessions, CSRF, profile, export and erasure."""
