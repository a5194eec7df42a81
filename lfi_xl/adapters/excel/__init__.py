"""The live-Excel adapter: the reads and writes of lfi_xl.adapters.files, on an xlwings Book."""
