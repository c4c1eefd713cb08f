"""StrideGuard's five built-in knee conditions, each a plugin module of its own.

They are registered through the ``strideguard.plugins`` entry point group exactly like a
third-party plugin: runners_knee, it_band, patellar_tendinopathy, meniscus_tear, bursitis.

Condition advice is given only when the condition is *relevant* for the runner: they chose it
in their profile, today's pain location is one of its typical locations, or they answered one
of its check-in questions with "yes" (or a score above 0). Nothing here diagnoses: summaries
say "could be" and point to the therapist.
"""

#: The built-in condition plugins, by entry-point name (= condition id = module name).
CONDITIONS: tuple[str, ...] = (
    "bursitis",
    "it_band",
    "meniscus_tear",
    "patellar_tendinopathy",
    "runners_knee",
)
