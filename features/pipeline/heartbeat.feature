@pipeline
Feature: When alerting itself breaks, someone is told, through a path that does not share the fault
  SOP-004 makes monitoring stack health mandatory, and a page cannot say that paging is broken.
  FLUO's heartbeat always fires and goes to an external heartbeat service, which pages the on-call
  by its own channel when the pings stop: the only path left when Prometheus, every Alertmanager
  or the link between them is down. FLUO's alerts about the pipeline go to PagerDuty as well as
  email, so a failing mail relay is told by a path it cannot take down. The bounds are derived
  term by term (config/meta.py): Alertmanager keeps a heartbeat it no longer hears from firing for
  4 × max(evaluation interval, resend delay), then the service's period and grace. The detection
  limit is FLUO's (policy.yml meta_monitoring: 5 minutes, SOP-004's recovery time).

  Scenario: Prometheus is down for 10 minutes: the heartbeat service pages the on-call, and again when it is back
    Given the stack is healthy
    When alerting itself breaks: the pipeline fault "prometheus-down-10m" strikes
    Then the heartbeat service tells "on-call-engineer@fluo.com" that alerting is down, within the detection limit
    And they are told again when it recovers
    And no other alert fired

  Scenario: every Alertmanager is down for 5 minutes: the heartbeat service pages the on-call, and again when they are back
    Given the stack is healthy
    When alerting itself breaks: the pipeline fault "alertmanagers-all-down-5m" strikes
    Then the heartbeat service tells "on-call-engineer@fluo.com" that alerting is down, within the detection limit
    And they are told again when it recovers
    And no other alert fired

  Scenario: Prometheus cannot reach Alertmanager for 10 minutes: the heartbeat service pages the on-call, and again when it can
    Given the stack is healthy
    When alerting itself breaks: the pipeline fault "alertmanager-unreachable-10m" strikes
    Then the heartbeat service tells "on-call-engineer@fluo.com" that alerting is down, within the detection limit
    And they are told again when it recovers
    And no other alert fired

  Scenario: the mail relay refuses for 5 minutes during an incident: PagerDuty tells the on-call that email is failing
    Given the stack is healthy
    When the scenario "kill-bff" injects its fault
    And the pipeline fault "mail-relay-refusing-5m" strikes
    Then alert "ServiceDown" fires for job "bff" after holding for 30 seconds
    And alert "AlertmanagerNotificationsFailing" tells "alerting-degraded" that alerting is degraded, within the detection limit
    And they are told again when it recovers
    And no other alert fired
