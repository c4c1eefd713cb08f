"""Reusable test helpers (the local Web Push service lives in ``pushservice``)."""
