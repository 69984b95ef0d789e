"""The gap, as analysts measure it: capability from leaderboards (pure computations here)."""
