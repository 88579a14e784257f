"""What the catalogue adds to the shared surfaces (imported from ``CatalogConfig.ready``, no I/O)."""
