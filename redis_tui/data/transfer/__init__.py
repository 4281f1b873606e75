"""Export keys to a file and import them back: streamed, bounded, binary-safe.

``fileformat`` is the file (JSON lines, one key over several lines); ``exporter`` writes it
from SCAN MATCH and paged reads; ``importer`` reads it back with a policy for existing keys,
after a dry run (``plan``). The ``:export`` / ``:import`` commands and the ``redis-tui export``
/ ``import`` subcommands drive these.
"""
