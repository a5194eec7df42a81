"""Where workbooks live: files on disk, a live Excel book, LibreOffice."""
