"""A GitLab stand-in (REST v4, GraphQL subset, webhooks). Imports nothing else from bot."""
