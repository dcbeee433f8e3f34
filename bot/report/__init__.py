"""Engagement status reports."""
