"""Analysis of flown landings: plots, reports, orbital imagery and change detection."""
