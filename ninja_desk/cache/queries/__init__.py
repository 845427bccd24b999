"""Every read of the local cache: the desktop's views and models, the CLI and the agent take
their SQL from here, so the cache schema is spelled in cache/ only. No Qt; each module is
testable on a cache file.

    devices        the device list's filter, search, sort and pages (desktop table and CLI)
    device_detail  one device for its panel
    alerts         the alert list, a device's open alerts, counts by severity
    tickets        the PSA ticket mirror
    software       inventory by title, version and device
    patches        pending and failed patches by KB and by client
    clients        organizations, a client's page
    fleet          the dashboard and `ninja-desk status` counts
    snapshots      devices as the PSA push wants them
    activities     the agent's view of cached activities
    search         Ctrl+K
    fleet_rules    SQL generated from core's rules (severity rank, managed classes, antivirus)
    text           LIKE patterns and id lists spelled into SQL
    row_count      how many rows any of these queries matches
"""
