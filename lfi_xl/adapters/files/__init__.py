"""The file adapter: workbooks on disk, read by defined name, written safely."""
