"""Runtime: the composition root, the poll and delivery loops, and the scheduler around them."""
