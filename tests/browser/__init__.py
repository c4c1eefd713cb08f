"""Real-browser tests of the PWA (Playwright + Debian Chromium)."""
