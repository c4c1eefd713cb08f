"""Web Push: VAPID keys (``vapid``), the SSRF endpoint policy (``policy``), notification
payloads (``payload``) and concurrent delivery (``sender``). No Flask, no SQLAlchemy."""
