"""Running StrideGuard in production: health probes, Prometheus metrics, the reminder
worker's heartbeat, and the rate-limit store shared by every web worker."""
