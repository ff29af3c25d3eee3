"""`mcpauth monitor template`: the monitor as an AWS SAM template (CloudFormation JSON).

A Lambda function (python3.12, the handler in monitor/handler.py, its code a zip in S3 built
from this project's wheel: `mcpauth monitor deploy` builds and uploads it) run by an
EventBridge Scheduler schedule (SAM's ScheduleV2 event); its metrics are EMF log lines in its
own log group (retention a parameter); an alarm on the run's Errors > 0, and one on the
function failing, notify an SNS topic (an e-mail subscription when one is given); the drift
store is a private, encrypted S3 bucket of the stack's own. The role allows the reads the
doctor makes (monitor/iam.py), the store's own prefix, and writing the own log group.
"""

from __future__ import annotations

import json
from typing import Any

from mcpauth_wizard.monitor.emf import DEFAULT_NAMESPACE
from mcpauth_wizard.monitor.iam import statements

HANDLER = "mcpauth_wizard.monitor.handler.handler"
RUNTIME = "python3.12"
DEFAULT_SCHEDULE = "rate(15 minutes)"
DEFAULT_RETENTION_DAYS = 30
RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827,
                  2192, 2557, 2922, 3288, 3653]
FUNCTION, ROLE, BUCKET, LOGS, TOPIC = "MonitorFunction", "MonitorRole", "StateBucket", "MonitorLogs", "AlertTopic"


def _ref(name: str) -> dict[str, str]:
    return {"Ref": name}


def _parameters() -> dict[str, Any]:
    return {
        "CodeBucket": {"Type": "String", "MinLength": 3,
                       "Description": "S3 bucket holding the function's package (mcpauth monitor deploy uploads it)"},
        "CodeKey": {"Type": "String", "MinLength": 1, "Description": "S3 key of the package zip"},
        "Regions": {"Type": "String", "Default": "",
                    "Description": "Comma-separated regions whose gateways are checked (empty: this stack's region)"},
        "Schedule": {"Type": "String", "Default": DEFAULT_SCHEDULE,
                     "AllowedPattern": r"^(rate|cron|at)\(.+\)$",
                     "Description": "EventBridge Scheduler expression for the checks"},
        "AlertEmail": {"Type": "String", "Default": "",
                       "Description": "E-mail address told when the alarm fires (empty: no subscription)"},
        "LogRetentionDays": {"Type": "Number", "Default": DEFAULT_RETENTION_DAYS,
                             "AllowedValues": RETENTION_DAYS,
                             "Description": "Days the function's log lines (and EMF records) are kept"},
        "MetricNamespace": {"Type": "String", "Default": DEFAULT_NAMESPACE, "MinLength": 1,
                            "Description": "CloudWatch namespace of the metrics"},
    }


def _role() -> dict[str, Any]:
    logs = {"Sid": "OwnLogGroup", "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": [{"Fn::GetAtt": [LOGS, "Arn"]}]}
    return {"Type": "AWS::IAM::Role", "Properties": {
        "Description": "mcpauth monitor: read-only AWS checks, its own drift bucket and log group",
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole"}]},
        "Policies": [
            {"PolicyName": "doctor-reads-and-drift-store",
             "PolicyDocument": {"Version": "2012-10-17", "Statement": statements(BUCKET)}},
            {"PolicyName": "own-log-group",
             "PolicyDocument": {"Version": "2012-10-17", "Statement": [logs]}},
        ]}}


def _function() -> dict[str, Any]:
    return {"Type": "AWS::Serverless::Function", "Properties": {
        "Description": "mcpauth monitor: the doctor's checks over every JWT gateway, as metrics",
        "Runtime": RUNTIME, "Handler": HANDLER, "Architectures": ["x86_64"],
        "CodeUri": {"Bucket": _ref("CodeBucket"), "Key": _ref("CodeKey")},
        "MemorySize": 512, "Timeout": 600,
        "Role": {"Fn::GetAtt": [ROLE, "Arn"]},
        "LoggingConfig": {"LogGroup": _ref(LOGS), "LogFormat": "Text"},
        "Environment": {"Variables": {
            "MCPAUTH_MONITOR_REGIONS": {"Fn::If": ["HasRegions", _ref("Regions"), _ref("AWS::Region")]},
            "MCPAUTH_MONITOR_BUCKET": _ref(BUCKET),
            "MCPAUTH_MONITOR_NAMESPACE": _ref("MetricNamespace"),
            "MCPAUTH_MONITOR_NAME": _ref("AWS::StackName"),
        }},
        "Events": {"Check": {"Type": "ScheduleV2", "Properties": {
            "ScheduleExpression": _ref("Schedule"),
            "Name": {"Fn::Sub": "${AWS::StackName}-check"},  # unique per stack, not per template
            "Description": "mcpauth monitor: run the checks",
            "FlexibleTimeWindow": {"Mode": "OFF"},
            "RetryPolicy": {"MaximumRetryAttempts": 0},  # the next run comes anyway
        }}},
    }}


def _alarm(description: str, metric: dict[str, Any]) -> dict[str, Any]:
    return {"Type": "AWS::CloudWatch::Alarm", "Properties": {
        "AlarmDescription": description, **metric,
        "Statistic": "Maximum", "Period": 300, "EvaluationPeriods": 1, "Threshold": 0,
        "ComparisonOperator": "GreaterThanThreshold",
        "TreatMissingData": "ignore",  # between runs: keep the state the last run left
        "AlarmActions": [_ref(TOPIC)], "OKActions": [_ref(TOPIC)]}}


def build() -> dict[str, Any]:
    from mcpauth_wizard import __version__

    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Transform": "AWS::Serverless-2016-10-31",
        "Description": "mcpauth monitor: the doctor's checks on a schedule, metrics, alarm, drift",
        "Metadata": {"mcpauth": {"version": __version__, "handler": HANDLER}},
        "Parameters": _parameters(),
        "Conditions": {
            "HasEmail": {"Fn::Not": [{"Fn::Equals": [_ref("AlertEmail"), ""]}]},
            "HasRegions": {"Fn::Not": [{"Fn::Equals": [_ref("Regions"), ""]}]},
        },
        "Resources": {
            LOGS: {"Type": "AWS::Logs::LogGroup", "DeletionPolicy": "Delete",
                   "UpdateReplacePolicy": "Delete",
                   "Properties": {"RetentionInDays": _ref("LogRetentionDays")}},
            BUCKET: {"Type": "AWS::S3::Bucket", "DeletionPolicy": "Delete",
                     "UpdateReplacePolicy": "Retain", "Properties": {
                         "BucketEncryption": {"ServerSideEncryptionConfiguration": [
                             {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]},
                         "PublicAccessBlockConfiguration": {
                             "BlockPublicAcls": True, "BlockPublicPolicy": True,
                             "IgnorePublicAcls": True, "RestrictPublicBuckets": True},
                         "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}}},
            "StateBucketPolicy": {"Type": "AWS::S3::BucketPolicy", "Properties": {
                "Bucket": _ref(BUCKET),
                "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
                    "Sid": "TlsOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                    "Resource": [{"Fn::GetAtt": [BUCKET, "Arn"]}, {"Fn::Sub": "${StateBucket.Arn}/*"}],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}}},
            ROLE: _role(),
            FUNCTION: _function(),
            TOPIC: {"Type": "AWS::SNS::Topic",
                    "Properties": {"DisplayName": "mcpauth monitor"}},
            "AlertSubscription": {"Type": "AWS::SNS::Subscription", "Condition": "HasEmail",
                                  "Properties": {"TopicArn": _ref(TOPIC), "Protocol": "email",
                                                 "Endpoint": _ref("AlertEmail")}},
            "ErrorsAlarm": _alarm(
                "mcpauth monitor: a gateway's sign-in setup has errors (the log group's EMF "
                "records name the gateway and its root causes)",
                {"Namespace": _ref("MetricNamespace"), "MetricName": "Errors",
                 "Dimensions": [{"Name": "Monitor", "Value": _ref("AWS::StackName")}]}),
            "MonitorFailedAlarm": _alarm(
                "mcpauth monitor: the monitor's own run failed (no metrics were written)",
                {"Namespace": "AWS/Lambda", "MetricName": "Errors",
                 "Dimensions": [{"Name": "FunctionName", "Value": _ref(FUNCTION)}]}),
        },
        "Outputs": {
            "FunctionName": {"Value": _ref(FUNCTION)},
            "StateBucket": {"Value": _ref(BUCKET)},
            "AlertTopic": {"Value": _ref(TOPIC)},
            "LogGroup": {"Value": _ref(LOGS)},
        },
    }


def text() -> str:
    return json.dumps(build(), indent=2) + "\n"
