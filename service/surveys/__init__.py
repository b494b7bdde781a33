"""Publishing, closing and listing surveys and their immutable versions."""
