"""Guidance: the pure rules engine, evidence detectors and the pluggy plugin host.

Import the pieces from their modules (``guidance.engine``, ``guidance.host`` …); this package
root stays empty so that ``guidance.hookspecs`` can be imported without pulling anything else.
"""
