"""A GitLab stand-in: REST v4, a GraphQL subset, webhooks. Its own package: imports no bot code."""

from .app import DEFAULT_ADMIN_TOKEN, create_app

__all__ = ["DEFAULT_ADMIN_TOKEN", "create_app"]
