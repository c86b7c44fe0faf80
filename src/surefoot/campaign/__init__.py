"""Monte Carlo campaigns: dispersions, runners, result store, statistics."""
