"""The build caches under results/cache/: one fingerprint function, one store, thin adapters.

Results costly to recompute are kept between builds so that a build after a small
edit redoes only what the edit touched. Every cache is made of the same parts:

* `fingerprint` (fingerprint.py): the key of an entry, a digest of everything the
  cached result was computed from (inputs, settings, the code reached through
  imports, library versions), so that a changed input misses instead of reading a
  stale entry;
* `Store` (store.py): entries under results/cache/<namespace>/<slot>/, each its
  payload files (JSON, Parquet, Arrow, DuckDB or the CSV bytes it reproduces, never
  a format that runs code) and an entry.json recording the key and the SHA-256 of
  every file. An entry is verified before it is used; one slot holds one entry, the
  last written; writes are atomic; any fault (a missing, changed or unreadable file,
  a full disk) is a warning and the result is computed afresh;
* one adapter per stage that keeps something: stage.py (each source's staging
  products), rules.py (parsed rules and their outcomes), load.py (the staged tables
  as last loaded into DuckDB), pandera.py (pandera's verdict per source) and
  export.py (the exported CSVs, per source).
"""

from .fingerprint import code_fingerprint, fingerprint
from .store import Entry, Store

__all__ = ["Entry", "Store", "code_fingerprint", "fingerprint"]
