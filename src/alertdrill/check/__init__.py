"""`alertdrill check` and `mutate`: the simulated-time tier (promtool, amtool, lint, coverage, mutants)."""
