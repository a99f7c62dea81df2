"""Faults: backend-neutral fault functions, the revert ledger, and Chaos Toolkit scenarios."""
