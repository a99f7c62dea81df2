# @kind: the local stack's pods are processes with fixed replicas; queue-depth autoscaling is not
# modelled there (README "What runs where"). On kind the stack installs KEDA.
@kind @slo
Feature: The workers auto-scale on queue depth
  SOP-004 (Worker Pods): "Scaling: Auto-scale based on queue depth". KEDA's nats-jetstream scaler
  reads the JOBS consumer's pending messages and scales the worker Deployment, 2 to 4 replicas at
  200 pending jobs each, for the length of the drill. The running workers are paused, so only the
  replicas the autoscaler adds can drain the backlog. KEDA and the HPA run in real time, so the
  bound is wall-clock: KEDA polling 5 s + HPA sync 15 s + a pod's start and readiness + the drain.

  Scenario: a backlog of 1500 jobs scales the workers out and is drained
    Given the stack is healthy
    When the scenario "autoscale-on-backlog" injects its fault
    Then the workers scale out to at least 3 replicas and drain the queue within 120 seconds, unscaled
