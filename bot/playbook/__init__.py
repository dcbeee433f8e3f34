"""The PSDM content model: playbooks, variables, rendering into a blueprint."""
