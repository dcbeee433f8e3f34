"""A GitLab stand-in (REST v4, GraphQL subset, webhooks). Imports nothing else from bot."""

from .app import DEFAULT_ADMIN_TOKEN, create_app

__all__ = ["DEFAULT_ADMIN_TOKEN", "create_app"]
