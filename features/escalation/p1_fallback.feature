@P1
Feature: A P1 page falls back to the team lead when nobody responds within 15 minutes
  SOP-004 P1 ("15 minute response"): the on-call engineer is the primary, the team lead the
  fallback. Read to the letter, a fallback is who is paged when the primary does not respond: the
  team lead hears of a P1 still firing and unacknowledged 15 minutes after it fired, never of one
  the on-call acknowledged (monitoring/README.md "P1's fallback" gives the reading and the
  alternative). Times are production times, divided by --time-scale.

  Scenario: an unacknowledged P1 reaches the team lead after 15 minutes
    Given the stack is healthy
    When the scenario "bff-latency-300ms" injects its fault
    Then alert "HighLatency" fires for job "bff" after holding for 300 seconds
    And the alert has severity "high" and priority "P1"
    And it is emailed to exactly "on-call-engineer@fluo.com"
    And unacknowledged, it escalates to "team-lead@fluo.com" after 15 minutes
    And after rollback it resolves and the resolved notification arrives within 5 minutes
    And no other alert fired

  Scenario: an acknowledged P1 never reaches the team lead
    Given the stack is healthy
    When the scenario "bff-latency-300ms" injects its fault
    Then alert "HighLatency" fires for job "bff" after holding for 300 seconds
    And the alert has severity "high" and priority "P1"
    And the on-call acknowledges it within 10 minutes
    And it is emailed to exactly "on-call-engineer@fluo.com"
    And nobody is emailed about it again through its 15 minute escalation
    And after rollback it resolves within 5 minutes and, acknowledged, nobody is told
    And no other alert fired
