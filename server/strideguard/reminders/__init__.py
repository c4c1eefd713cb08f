"""Reminders: the pure planner (``planner``); the outbox, scheduler and API live beside it."""
