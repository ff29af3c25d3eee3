"""AWS errors become one actionable line each."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError

from mcpauth_wizard.aws.session import AwsContext, translate_aws_error
from mcpauth_wizard.core.errors import AwsProblem, BadInput, NotFound


def client_error(code: str, message: str = "", operation: str = "DescribeUserPool",
                 attempts: int = 0) -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": message},
         "ResponseMetadata": {"RetryAttempts": attempts}},
        operation,
    )


@pytest.mark.parametrize(
    ("exc", "kind", "text"),
    [
        (NoCredentialsError(), AwsProblem, "no AWS credentials found"),
        (client_error("ExpiredTokenException"), AwsProblem, "token has expired"),
        (client_error("AccessDeniedException", "User: x is not authorized",
                      "UpdateUserPoolClient"), AwsProblem, "access denied for UpdateUserPoolClient"),
        (client_error("TooManyRequestsException", attempts=4), AwsProblem,
         "throttled DescribeUserPool after 5 attempts"),
        (client_error("ResourceNotFoundException", "User pool us-east-1_x does not exist."),
         NotFound, "User pool us-east-1_x does not exist"),
        (client_error("InvalidParameterException", "bad"), BadInput, "AWS refused DescribeUserPool: bad"),
        (EndpointConnectionError(endpoint_url="https://cognito-idp.xx-1.amazonaws.com/"), AwsProblem,
         "cannot reach the AWS endpoint https://cognito-idp.xx-1.amazonaws.com/"),
    ],
)
def test_translation(exc: Exception, kind: type, text: str) -> None:
    problem = translate_aws_error(exc)
    assert isinstance(problem, kind)
    assert text in str(problem)
    assert "\n" not in str(problem)


def test_other_exceptions_are_not_translated() -> None:
    assert translate_aws_error(ValueError("x")) is None


def test_unknown_region_is_refused_before_any_call() -> None:
    with pytest.raises(BadInput, match="unknown AWS region 'moon'"):
        _ = AwsContext(region="moon").region_name
