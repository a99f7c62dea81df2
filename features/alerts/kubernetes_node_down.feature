# @stops-node: the local stack stops a virtual node and kind a node container; on an existing
# cluster alertdrill never stops a node of the team's, so the drill is deselected there.
@P0 @stops-node
Feature: KubernetesNodeDown pages the critical on-call when a node goes away
  SOP-004 P0: a node unreachable for 5 minutes, severity critical, priority P0. The worker
  placed on that node goes down with it, so ServiceDown fires too; nothing else may.

  Scenario: node-2 stops
    Given the stack is healthy
    When the scenario "node-down-node-2" injects its fault
    Then alert "KubernetesNodeDown" fires for node "node-2" after holding for 300 seconds
    And the alert has severity "critical" and priority "P0"
    And it is emailed to exactly "on-call-engineer@fluo.com"
    And the page names the alert, its service, its severity and its runbook
    And alert "ServiceDown" also fires for job "workers" after holding for 30 seconds
    And its page too is emailed to exactly "on-call-engineer@fluo.com"
    And after rollback it resolves and the resolved notification arrives within 5 minutes
    And no other alert fired
