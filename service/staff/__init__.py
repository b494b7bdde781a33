"""Staff API keys and roles."""
