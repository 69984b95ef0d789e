"""Chat adapters: thin translations between a platform and the neutral command handlers."""
