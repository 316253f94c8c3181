"""A local stand-in for the Qtickets REST API: realistic data, the real quirks, fault injection."""
