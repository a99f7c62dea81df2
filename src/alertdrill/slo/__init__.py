"""SOP-004's SLOs: objectives as data (monitoring/slo.yml), measured from recorded SLIs."""
