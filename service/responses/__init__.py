"""Collecting responses: validation against the published version, group commit, import and export."""
