"""French identifiers, names and addresses; one module per entity type."""
