"""The live-Excel adapter: the same reads and writes as lfi_xl.files, on an xlwings Book."""
