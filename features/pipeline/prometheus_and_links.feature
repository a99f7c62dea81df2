@pipeline
Feature: A restarted Prometheus, a failing mail relay and a cut link delay a page but lose none
  Prometheus restarted during an alert's `for` starts that `for` again (a `for` under
  --rules.alert.for-grace-period, scaled like `for`); a relay answering 4xx or refusing makes
  Alertmanager retry within its flush deadline; packets dropped between Prometheus and
  Alertmanager make every send wait out its timeout. Each bound after the outage is derived from
  those timers (drill/outages.py) and printed term by term.

  Scenario: Prometheus is restarted while ServiceDown holds its 30 seconds
    Given the stack is healthy
    When the scenario "kill-nats" injects its fault
    And the pipeline fault "prometheus-restarted" strikes
    Then alert "ServiceDown" fires for job "nats" after holding for 30 seconds
    And it is emailed to exactly "on-call-engineer@fluo.com"
    And after rollback it resolves and the resolved notification arrives within 5 minutes
    And no other alert fired

  Scenario: the mail relay answers 451 for 3 minutes
    Given the stack is healthy
    When the scenario "kill-bff" injects its fault
    And the pipeline fault "mail-relay-451-3m" strikes
    Then alert "ServiceDown" fires for job "bff" after holding for 30 seconds
    And it is emailed to exactly "on-call-engineer@fluo.com"
    And nobody is emailed twice about it
    And after rollback it resolves and the resolved notification arrives within 5 minutes
    And no other alert fired

  Scenario: the mail relay refuses connections for 3 minutes
    Given the stack is healthy
    When the scenario "kill-workers" injects its fault
    And the pipeline fault "mail-relay-refusing-3m" strikes
    Then alert "ServiceDown" fires for job "workers" after holding for 30 seconds
    And it is emailed to exactly "on-call-engineer@fluo.com"
    And nobody is emailed twice about it
    And after rollback it resolves and the resolved notification arrives within 5 minutes
    And no other alert fired

  Scenario: Prometheus cannot reach Alertmanager for 3 minutes
    Given the stack is healthy
    When the scenario "kill-nats" injects its fault
    And the pipeline fault "alertmanager-unreachable-3m" strikes
    Then alert "ServiceDown" fires for job "nats" after holding for 30 seconds
    And it is emailed to exactly "on-call-engineer@fluo.com"
    And nobody is emailed twice about it
    And after rollback it resolves and the resolved notification arrives within 5 minutes
    And no other alert fired

  Scenario: a broken Alertmanager config is refused and the old one keeps routing
    Given the stack is healthy
    When the pipeline fault "alertmanager-config-broken" strikes
    And the scenario "kill-bff" injects its fault
    Then alert "ServiceDown" fires for job "bff" after holding for 30 seconds
    And it is emailed to exactly "on-call-engineer@fluo.com"
    And every Alertmanager refused the broken config and kept routing with its own
    And after rollback it resolves and the resolved notification arrives within 5 minutes
    And no other alert fired
