"""Commands for people: explain an indicator, diff published versions, the CI summary,
read a quantity, scaffold a new table (not pipeline stages)."""
