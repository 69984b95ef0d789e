"""Watch rules: what a team wants to hear about, validated at load and evaluated purely."""
