"""Chat commands: platform-neutral handlers returning neutral replies; adapters render them."""
