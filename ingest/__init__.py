"""Everything that builds the index: loaders, chunking, and ``sync``."""

from ingest.loaders import LoadError, load
from ingest.pipeline import DocumentInfo, FileOutcome, Ingester, SyncReport

__all__ = ["DocumentInfo", "FileOutcome", "Ingester", "LoadError", "SyncReport", "load"]
