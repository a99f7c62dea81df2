@P0
Feature: A P0 page escalates on SOP-004's timeline until somebody acknowledges it
  SOP-004 P0: the on-call engineer immediately; still unresolved after 5 minutes the senior
  engineer, after 15 the engineering manager, after 30 the engineering director (the SOP names no
  director address: engineering-director@fluo.com is our assumption). The on-call acknowledges
  within 2 minutes; an acknowledgement is an Alertmanager silence (API v2), and it stops the
  escalation. Times are production times, divided by --time-scale.

  Scenario: an unacknowledged P0 reaches the senior engineer, the manager and the director in turn
    Given the stack is healthy
    When the scenario "kill-bff" injects its fault
    Then alert "ServiceDown" fires for job "bff" after holding for 30 seconds
    And the alert has severity "critical" and priority "P0"
    And it is emailed to exactly "on-call-engineer@fluo.com"
    And unacknowledged, it escalates to "senior-engineer@fluo.com" after 5 minutes, "engineering-manager@fluo.com" after 15 minutes and "engineering-director@fluo.com" after 30 minutes
    And after rollback it resolves and the resolved notification arrives within 5 minutes
    And no other alert fired

  Scenario: a P0 over within 5 minutes is never escalated
    Given the stack is healthy
    When the scenario "freeze-bff" injects its fault
    Then alert "ServiceDown" fires for job "bff" after holding for 30 seconds
    And the alert has severity "critical" and priority "P0"
    And rolled back at once, it resolves before its 5 minute escalation and "senior-engineer@fluo.com" never hears
    And it is emailed to exactly "on-call-engineer@fluo.com"
    And no other alert fired

  Scenario: an acknowledged P0 pages nobody else
    Given the stack is healthy
    When the scenario "kill-nats" injects its fault
    Then alert "ServiceDown" fires for job "nats" after holding for 30 seconds
    And the alert has severity "critical" and priority "P0"
    And the on-call acknowledges it within 2 minutes
    And it is emailed to exactly "on-call-engineer@fluo.com"
    And nobody is emailed about it again through its 15 minute escalation
    And after rollback it resolves within 5 minutes and, acknowledged, nobody is told
    And no other alert fired
