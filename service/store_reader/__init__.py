"""Reading a survey's responses from the store: which rows (`scope`), how older versions' columns map onto the
current definition (`columns`), and the chunked decoding into `analytics.data.ResponseData` (`chunks`).

The analyses over what is read are in `service.analysis`; the memory bound `load_data` checks first is
`service.memory_bound`.
"""
