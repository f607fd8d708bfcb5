"""What every Samenbeeld role shares: settings, databases, registry, catalog, content."""
