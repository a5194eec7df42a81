Attribute VB_Name = "LfiRibbon"
' The "Local First Inclusion" ribbon tab (customUI14.xml). Every workbook button calls
' OnButton, which runs the button's macro in Python through xlwings' RunPython, on the
' active workbook (RunPython hands Python ActiveWorkbook as the calling book). RunPython
' runs it in the add-in's one Python server, the one the LFI_ functions use (the add-in
' always sets "USE UDF SERVER"): Excel starts no other program for a button.
Option Explicit

' control is the pressed button (an IRibbonControl). It is declared As Object so that the
' project needs no reference to the Office object library, whose version differs by PC.
Public Sub OnButton(control As Object)
    If ActiveWorkbook Is Nothing Then
        MsgBox "Open the workbook to work on first, then press the button again.", _
            vbInformation, "Local First Inclusion"
        Exit Sub
    End If
    If LfiPythonDown() Then
        MsgBox LfiPythonDownReason() & vbLf & vbLf & "Fix that, then press Restart Python.", _
            vbExclamation, "Local First Inclusion"
        Exit Sub
    End If
    ' RunPython shows Python's own errors itself; what reaches here is Python not starting.
    On Error GoTo failed
    RunPython "import lfi_xl.macros; lfi_xl.macros.button('" & control.Id & "')"
    Exit Sub
failed:
    MsgBox LfiButtonFailure(Err.Number, Err.Description) & vbLf & vbLf & _
        "Fix that, then press Restart Python.", vbExclamation, "Local First Inclusion"
End Sub

' The message for a button whose Python could not run: the reason kept for LFI_WHY too
' when Python could not be started or reached.
Public Function LfiButtonFailure(ByVal number As Long, ByVal description As String) As String
    If IsPythonUnreachable(number) Then
        LfiButtonFailure = NotePythonDown(number, description)
    Else
        LfiButtonFailure = "Python error (" & number & "): " & description
    End If
End Function
