"""tollway."""
