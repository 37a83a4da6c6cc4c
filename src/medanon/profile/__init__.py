"""Rules: the PS3.15 Table E.1-1 as package data, options, and recipes."""
