"""greenaudit: an audited, reproducible dataset of figures quoted in documents."""

__version__ = "0.1.0"
