"""Notifications as people receive them: receiver redirection, the recorder, its Kubernetes mirror."""
