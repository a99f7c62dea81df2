# @alone: 1200 msg/s and latency percentiles on a 2-core machine; under --parallel no other
# drill or stack start-up runs beside it (the other workers wait at their next drill).
@slo @alone
Feature: Under normal load FLUO meets SOP-004's SLOs
  SOP-004 sets the SLOs; monitoring/slo.yml states them as data and monitoring/rules/fluo.slo.rules.yml
  records each SLI. Here the load generator drives the BFF, and through it NATS, at the SOP's
  rates, and every SLO is measured from Prometheus over the load (its first SLI window left out).

  Scenario: the BFF and NATS at 1200 messages per second meet every SLO
    Given the stack is healthy
    When the load generator sends 120 job submissions/s of 10 jobs each and 30 reads/s to the BFF for 40 seconds
    Then these SLOs hold over the load:
      | slo                     | objective |
      | bff-availability        | >= 0.999  |
      | bff-latency-p95         | < 0.2     |
      | bff-latency-avg         | < 0.2     |
      | bff-latency-p99         | < 0.5     |
      | bff-error-ratio         | < 0.001   |
      | nats-throughput         | >= 1000   |
      | nats-processing-latency | < 0.1     |
      | nats-delivery           | >= 0.9995 |
      | job-duration            | < 30      |
      | job-completion          | > 0.995   |
      | worker-cpu              | < 0.8     |
      | worker-memory           | < 0.7     |
    And no alert fired during the load
