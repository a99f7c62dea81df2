"""The monitoring config under test: rules, routing tree, SLOs and dashboards, as data."""
