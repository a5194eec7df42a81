Attribute VB_Name = "LfiRibbon"
' The "Local First Inclusion" ribbon tab (customUI14.xml). Every button calls OnButton, which
' runs the button's macro in Python through xlwings, on the active workbook (xlwings'
' add-in module passes ActiveWorkbook to Python as the calling book).
Option Explicit

' control is the pressed button (an IRibbonControl). It is declared As Object so that the
' project needs no reference to the Office object library, whose version differs by PC.
Public Sub OnButton(control As Object)
    If ActiveWorkbook Is Nothing Then
        MsgBox "Open the workbook to work on first, then press the button again.", _
            vbInformation, "Local First Inclusion"
        Exit Sub
    End If
    RunPython "import lfi_xl.macros; lfi_xl.macros.button('" & control.Id & "')"
End Sub
