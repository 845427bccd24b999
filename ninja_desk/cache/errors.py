"""Why the local cache cannot be used right now, as sentences a technician can act on.

"Cannot open" (read-only folder, full disk, another process holding a lock) is not "corrupt":
the file is fine and must be left where it is. Only SQLite's own corruption codes, or a failed
`quick_check`, let the cache be moved aside and rebuilt.
"""

from __future__ import annotations

from ninja_desk.paths import DataDirUnavailable


class CacheUnavailable(DataDirUnavailable):
    """The cache file is intact but cannot be opened or written now."""


class CacheReadOnly(CacheUnavailable):
    pass


class CacheDiskFull(CacheUnavailable):
    pass


class CacheBusy(CacheUnavailable):
    pass
