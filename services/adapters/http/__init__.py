"""What every mixflow HTTP API shares: problem+json errors and bearer-token authentication."""
