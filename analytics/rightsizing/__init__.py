"""Rightsizing: utilisation-driven recommendations (downsize, move to a cheaper family, terminate idle,
keep), their savings, and the loading of utilisation metrics. See docs/reference/algorithms.md §3 for the sources."""
