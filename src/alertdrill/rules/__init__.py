"""The monitoring config under test: rules, Alertmanager config, time scaling, checks."""
