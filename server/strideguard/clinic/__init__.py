"""The therapist's side: invitations with consent, care links, therapist-set limits, the
patient dashboard, alerts to the therapist and the FHIR export.

Pure parts (no Flask, no SQLAlchemy): ``codes`` (invitation codes), ``rules`` (limits
merged into the runner's settings, urgency, alert planning) and ``fhir`` (the Bundle).
"""
