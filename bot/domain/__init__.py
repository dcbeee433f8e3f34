"""The PSDM engagement's rules, pure: read model, gates, figures, decisions as effects."""
