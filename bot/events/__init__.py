"""Sans-I/O events: payloads to typed events, the router, handlers and slash commands."""
