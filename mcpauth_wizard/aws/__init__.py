"""The only package that talks to boto3."""
