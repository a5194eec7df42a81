"""Build tools: the shipped workbooks and the Excel add-in."""
