@P0
Feature: PodCrashLooping pages the critical on-call when a pod keeps crashing
  SOP-004 P0: a container crash-looping for 5 minutes, severity critical, priority P0. The
  crashing worker is also down, so ServiceDown fires too; nothing else may. The alert is named by
  its container (the workload's), which is the same on every stack: the pod's name is `workers-1`
  on the local stack but `workers-<replicaset>-<random>` on Kubernetes.

  Scenario: one worker's container exits at every start
    Given the stack is healthy
    When the scenario "crashloop-workers" injects its fault
    Then alert "PodCrashLooping" fires for container "workers" after holding for 300 seconds
    And the alert has severity "critical" and priority "P0"
    And it is emailed to exactly "on-call-engineer@fluo.com"
    And the page names the alert, its service, its severity and its runbook
    And alert "ServiceDown" also fires for job "workers" after holding for 30 seconds
    And its page too is emailed to exactly "on-call-engineer@fluo.com"
    And after rollback it resolves and the resolved notification arrives within 5 minutes
    And no other alert fired
