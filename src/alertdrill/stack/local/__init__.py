"""The local stack: real servers and the FLUO workload as processes on 127.0.0.1, on virtual nodes."""
