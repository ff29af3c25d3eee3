"""`mcpauth monitor`: the fleet doctor's checks on a schedule in the user's own account
(AWS Lambda run by EventBridge Scheduler), its findings as CloudWatch metrics (Embedded Metric
Format), an alarm to an SNS topic, and drift against each gateway's last good run."""
