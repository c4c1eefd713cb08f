"""The rehab half: the exercise library, the programme a therapist prescribes, the sessions a runner logs."""
