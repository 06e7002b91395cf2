"""Env tooling the noxfile calls: interpreter discovery, locks, venv stamps (stdlib only)."""
