"""REST v4 resources, one module per resource family."""
