"""Commands for people: explain an indicator, diff published versions, the CI summary."""
