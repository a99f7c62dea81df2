"""The kind and existing-cluster backends: Kubernetes is the engine, alertdrill drives it."""
