"""Webhook emission: payloads as GitLab documents them, and their asynchronous delivery."""
