"""Observers: Prometheus and Alertmanager clients, the notification recorder, the timeline."""
