# @kind: runbook commands talk to Kubernetes (kubectl); on the local stack there is nothing for
# them to talk to, and `alertdrill check` reads them offline instead (monitoring/runbooks.yml).
@kind @P0
Feature: SOP-004's "Service Down Response" works mid-incident
  The on-call, paged, runs the SOP's runbook as written (monitoring/runbooks.yml, the blanks
  [pod-name], [namespace], [deployment-name] filled in from the drill): every command must succeed
  and a step marked `names_broken` must name what is broken by itself (a name the drill filled
  in does not count). A command `alertdrill check` already finds wrong is recorded as
  a finding with its reason, not a failure. Where the SOP's remedy is the fix (`kubectl rollout
  restart`), the drill rolls back with it: its health check must pass within the SOP's 5 minutes,
  and the alert resolve.

  Scenario: the workers crash-loop and the runbook names the crashing pod
    Given the stack is healthy
    When the scenario "crashloop-workers" injects its fault
    Then alert "PodCrashLooping" fires for container "workers" after holding for 300 seconds
    And the on-call runs the "Service Down Response" runbook for deployment "workers" and it names what is broken
    And after rollback it resolves and the resolved notification arrives within 5 minutes

  # A hung BFF runs but is not ready: the runbook's `kubectl get pods -A | grep -v Running` hides it
  # (`alertdrill check`, runbooks.yml line 17), so this drill does not claim the runbook finds it;
  # it proves the SOP's remedy heals it.
  Scenario: the BFF hangs and the runbook's own restart brings it back
    Given the stack is healthy
    When the scenario "freeze-bff" injects its fault
    Then alert "ServiceDown" fires for job "bff" after holding for 30 seconds
    And rolled back by the "Service Down Response" runbook's own remedy for deployment "bff", it resolves and the resolved notification arrives within 5 minutes
