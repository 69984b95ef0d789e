"""Stories: the same event from many outlets and sources becomes one story, alerted once."""
