"""The Qtickets REST API: read-only HTTP client, typed records and domain rules."""
