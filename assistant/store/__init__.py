"""The only Chroma code: the client, writes and versions, reads back, writer leases, progress marks, outages."""
