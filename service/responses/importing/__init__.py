"""The parts of a response-table import: reading a file, checking it, recording batches, writing rows.

`service.responses.importer` puts them together; these modules stay small so each can be read on its own.
"""
