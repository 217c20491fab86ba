# The alert rules' PrometheusRule (deploy/k8s/components/monitoring/alert-rules.yaml) as a rule
# file of a Prometheus without the operator: its `spec` is such a file, one level indented.
# scripts/k8s-check holds the result equal to the rule groups the manifest carries.
1,/^spec:$/d
s/^  //
