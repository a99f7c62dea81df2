"""`alertdrill replay`: a team's own promtool test groups replayed live through a real
Prometheus, Alertmanager and the recorder on a scaled clock (issue 28).

promtool proves the rules on a simulated clock; a replay feeds the same `input_series` to the
real servers and says where the live pipeline disagrees with what the tests expect, and why.
"""
