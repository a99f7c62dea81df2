@P0
Feature: ServiceDown pages the critical on-call when a FLUO service dies
  SOP-004 P0: up{job=~"bff|workers|nats"} == 0 held for 30 s, severity critical, priority P0,
  emailed to the on-call engineer at once (escalation: features/escalation/). Recovery under 5
  minutes. Times are production times; the drill divides them by --time-scale.

  Scenario: the BFF is killed
    Given the stack is healthy
    When the scenario "kill-bff" injects its fault
    Then alert "ServiceDown" fires for job "bff" after holding for 30 seconds
    And the alert has severity "critical" and priority "P0"
    And it is emailed to exactly "on-call-engineer@fluo.com"
    And the page names the alert, its service, its severity and its runbook
    And after rollback it resolves and the resolved notification arrives within 5 minutes
    And alert "KubernetesNodeDown" did not fire
    And no other alert fired

  Scenario: the BFF hangs
    Given the stack is healthy
    When the scenario "freeze-bff" injects its fault
    Then alert "ServiceDown" fires for job "bff" after holding for 30 seconds
    And the alert has severity "critical" and priority "P0"
    And it is emailed to exactly "on-call-engineer@fluo.com"
    And the page names the alert, its service, its severity and its runbook
    And after rollback it resolves and the resolved notification arrives within 5 minutes
    And no other alert fired

  Scenario: the NATS workers are killed
    Given the stack is healthy
    When the scenario "kill-workers" injects its fault
    Then alert "ServiceDown" fires for job "workers" after holding for 30 seconds
    And the alert has severity "critical" and priority "P0"
    And it is emailed to exactly "on-call-engineer@fluo.com"
    And the page names the alert, its service, its severity and its runbook
    And after rollback it resolves and the resolved notification arrives within 5 minutes
    And no other alert fired

  Scenario: NATS is killed
    Given the stack is healthy
    When the scenario "kill-nats" injects its fault
    Then alert "ServiceDown" fires for job "nats" after holding for 30 seconds
    And the alert has severity "critical" and priority "P0"
    And it is emailed to exactly "on-call-engineer@fluo.com"
    And the page names the alert, its service, its severity and its runbook
    And after rollback it resolves and the resolved notification arrives within 5 minutes
    And no other alert fired

  Scenario: the BFF's pods are deleted, and its target leaves discovery
    Given the stack is healthy
    When the scenario "delete-bff" injects its fault
    Then alert "ServiceDown" fires for job "bff" after holding for 30 seconds
    And the alert has severity "critical" and priority "P0"
    And it is emailed to exactly "on-call-engineer@fluo.com"
    And the page names the alert, its service, its severity and its runbook
    And after rollback it resolves and the resolved notification arrives within 5 minutes
    And no other alert fired
