# @local: on kind every node reports the host's disk (the CI runner's), so driving a node
# to the threshold would mean exhausting the runner itself; the local stack's virtual nodes are
# bounded (ALERTDRILL_MAX_FAULT_BYTES). The Kubernetes fault exists and refuses above that bound.
@P2 @local
Feature: DiskSpaceRunningLow reaches the on-call, deferred 4 hours
  SOP-004 P2: less than 10 % of a node's disk free for 30 minutes, severity medium, priority P2,
  routed to the on-call primary and deferred 4 hours. tmpfs mounts never count.

  Scenario: node-2's disk is 95 % full
    Given the stack is healthy
    When the scenario "disk-fill-node-2-5pct" injects its fault
    Then alert "DiskSpaceRunningLow" fires for node "node-2" after holding for 1800 seconds, held back from paging
    And the alert has severity "medium" and priority "P2"
    And it is held back from "on-call-engineer@fluo.com" for 4 hours
    And after rollback it clears within 5 minutes without ever paging
    And no other alert fired

  @edge
  Scenario: 12 % free on node-2 stays above the threshold
    Given the stack is healthy
    When the scenario "disk-fill-node-2-12pct" injects its fault
    Then alert "DiskSpaceRunningLow" stays quiet for the whole bound of its 1800 second hold
    And Prometheus saw "node_filesystem_avail_bytes{node='node-2',mountpoint='/'} / node_filesystem_size_bytes{node='node-2',mountpoint='/'}" fall to at most 0.13
    And no other alert fired
