"""The GitLab adapter: the only code that talks to GitLab."""
