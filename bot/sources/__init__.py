"""Sources: fetching feeds, hubs and leaderboards safely, and turning them into items."""
