@pipeline
Feature: An Alertmanager that crashes or stops loses no page, no escalation and no acknowledgement
  SOP-004 makes monitoring stack health mandatory; pages are lost exactly when the pipeline fails.
  Alertmanager holds alerts in memory and writes its silences and notification log to disk only
  every 15 minutes and on a clean stop, so a SIGKILL can lose an acknowledgement; Prometheus
  re-sends firing alerts after its resend delay. The bounds after an outage add those timers, each
  named (drill/outages.py). FLUO's promises are in monitoring/policy.yml (pipeline:).

  Scenario: Alertmanager is killed after the first page and the escalation still comes
    Given the stack is healthy
    When the scenario "kill-bff" injects its fault
    Then alert "ServiceDown" fires for job "bff" after holding for 30 seconds
    And it is emailed to exactly "on-call-engineer@fluo.com"
    When the pipeline fault "alertmanager-killed" strikes
    Then unacknowledged, it escalates to "senior-engineer@fluo.com" after 5 minutes
    And nobody is emailed twice about it
    And after rollback it resolves and the resolved notification arrives within 5 minutes
    And no other alert fired

  Scenario: an acknowledgement survives an Alertmanager SIGKILL
    Given the stack is healthy
    When the scenario "kill-nats" injects its fault
    Then alert "ServiceDown" fires for job "nats" after holding for 30 seconds
    And it is emailed to exactly "on-call-engineer@fluo.com"
    And the on-call acknowledges it within 2 minutes
    When the pipeline fault "alertmanager-killed" strikes
    Then nobody is emailed about it again through its 15 minute escalation
    And after rollback it resolves within 5 minutes and, acknowledged, nobody is told
    And no other alert fired

  Scenario: a page that fires while Alertmanager is down for 3 minutes goes out when it is back
    Given the stack is healthy
    When the scenario "kill-workers" injects its fault
    And the pipeline fault "alertmanager-down-3m" strikes
    Then alert "ServiceDown" fires for job "workers" after holding for 30 seconds
    And it is emailed to exactly "on-call-engineer@fluo.com"
    And nobody is emailed twice about it
    And after rollback it resolves and the resolved notification arrives within 5 minutes
    And no other alert fired

  Scenario: an incident that begins and ends while an Alertmanager is down is still paged
    Given the stack is healthy
    When the scenario "kill-bff" injects its fault
    And the pipeline fault "alertmanager-down" strikes
    Then alert "ServiceDown" fires for job "bff" after holding for 30 seconds
    And it is emailed to exactly "on-call-engineer@fluo.com"
    And after rollback it resolves and the resolved notification arrives within 5 minutes
    And no other alert fired
