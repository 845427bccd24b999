"""Tenant-scoped repositories. Every function takes a TenantSession and filters by its tenant."""
