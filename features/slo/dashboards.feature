@slo
Feature: SOP-004's four dashboards show FLUO's data
  System Overview, NATS Message Broker, Kubernetes Cluster and Application Performance live in
  monitoring/grafana/. Every panel's query must parse and return data on the running stack: on
  the local stack from Prometheus, on kind through Grafana's query API.

  Scenario: every panel of every dashboard returns data
    Given the stack is healthy
    Then every panel of the SOP dashboards parses and returns data
