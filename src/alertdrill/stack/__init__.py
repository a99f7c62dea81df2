"""Stacks: the Stack protocol and its backends (local processes, kind, an existing cluster)."""
