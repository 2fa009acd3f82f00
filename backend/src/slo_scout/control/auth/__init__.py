"""Who is calling: API keys, OIDC tokens, role grants and the checks services make."""
