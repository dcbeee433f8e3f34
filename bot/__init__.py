"""psdm-bot: GitLab automation for PSDM delivery engagements."""
