"""Files in and out: CSV reading (encodings, delimiters, header aliases), the table
descriptions that import and export share, and the writers (csv, json, jsonl, xlsx,
vCard, iCalendar). Called by the CLI and by services; never calls either.
"""
