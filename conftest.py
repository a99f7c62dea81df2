"""Wires the alertdrill plugin and the step definitions; nothing else lives here."""

pytest_plugins = ["alertdrill.pytest_plugin", "steps.drill_steps", "steps.slo_steps"]
