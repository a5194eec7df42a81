"""The workbook contract's tables read through any adapter (a file or a live book)."""
