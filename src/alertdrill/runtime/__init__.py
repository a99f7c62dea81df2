"""Runtime: processes, ports, run directories, binaries, tools and HTTP probes. Imports nothing of
alertdrill but its errors, so everything else can build on it."""
