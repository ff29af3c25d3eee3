"""A local Cognito + AgentCore look-alike: moto's control plane made to behave like AWS."""
