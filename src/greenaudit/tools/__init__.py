"""Tools for the people who transcribe and extend the audit (not pipeline stages)."""
