@P1
Feature: MessageQueueBacklog pages when NATS jobs pile up unprocessed
  SOP-004 P1: more than 1000 unprocessed messages held for 10 minutes, severity high, priority
  P1, routed to the on-call primary (the team lead hears only when nobody
  responds within 15 minutes: features/escalation/p1_fallback.feature). Recovery under 5 minutes.

  Scenario: the workers stop consuming while 1500 jobs arrive
    Given the stack is healthy
    When the scenario "nats-backlog-1500" injects its fault
    Then alert "MessageQueueBacklog" fires for stream_name "JOBS" after holding for 600 seconds
    And the alert has severity "high" and priority "P1"
    And it is emailed to exactly "on-call-engineer@fluo.com"
    And the page names the alert, its service, its severity and its runbook
    And after rollback it resolves and the resolved notification arrives within 5 minutes
    And no other alert fired

  @edge
  Scenario: a backlog of 900 jobs stays under the threshold
    Given the stack is healthy
    When the scenario "nats-backlog-900" injects its fault
    Then alert "MessageQueueBacklog" stays quiet for the whole bound of its 600 second hold
    And Prometheus saw "nats_stream_total_messages{stream_name='JOBS'}" reach at least 850
    And no other alert fired
