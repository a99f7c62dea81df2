@P0
Feature: HighErrorRate pages the critical on-call when the BFF fails requests
  SOP-004 P0: more than the SLO's 0.1 % of BFF requests answered with 5xx, held for 2 minutes,
  severity critical, priority P0, routed to the critical on-call. Recovery under 5 minutes.

  Scenario: the BFF answers half of its requests with HTTP 500
    Given the stack is healthy
    When the scenario "bff-error-burst" injects its fault
    Then alert "HighErrorRate" fires for job "bff" after holding for 120 seconds
    And the alert has severity "critical" and priority "P0"
    And it is emailed to exactly "on-call-engineer@fluo.com"
    And the page names the alert, its service, its severity and its runbook
    And after rollback it resolves and the resolved notification arrives within 5 minutes
    And no other alert fired
