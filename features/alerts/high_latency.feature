@P1
Feature: HighLatency pages the on-call when the BFF slows down
  SOP-004 P1: BFF p95 latency above 200 ms held for 5 minutes, severity high, priority P1,
  routed to the on-call primary (the team lead hears only when nobody
  responds within 15 minutes: features/escalation/p1_fallback.feature). Recovery under 5 minutes.

  Scenario: every BFF request takes 300 ms
    Given the stack is healthy
    When the scenario "bff-latency-300ms" injects its fault
    Then alert "HighLatency" fires for job "bff" after holding for 300 seconds
    And the alert has severity "high" and priority "P1"
    And it is emailed to exactly "on-call-engineer@fluo.com"
    And the page names the alert, its service, its severity and its runbook
    And after rollback it resolves and the resolved notification arrives within 5 minutes
    And no other alert fired

  @edge
  Scenario: 150 ms per request keeps p95 under the threshold
    Given the stack is healthy
    When the scenario "bff-latency-150ms" injects its fault
    Then alert "HighLatency" stays quiet for the whole bound of its 300 second hold
    And Prometheus saw "histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{job='bff'}[5m])))" reach at least 0.15
    And no other alert fired
