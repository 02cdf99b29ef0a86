"""The workspace's own files: the source manifest, the indicator catalog, completeness."""
