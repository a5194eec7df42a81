Attribute VB_Name = "LfiCheck"
' The ribbon's support buttons: Check lfi-xl (through Python: lfi_xl.macros, via
' LfiRibbon.OnButton) and Restart Python; and LfiSelfTest, which lfi-xl addin check runs to
' prove that this VBA project compiles and runs in this Excel.
Option Explicit

' "<Office bits>|<descriptions registered>|<registrations failed>|<first failure>".
' Calling it compiles the project's modules that it uses; Python compares the counts with
' the functions it has.
Public Function LfiSelfTest() As String
    Dim bits As Long
    #If Win64 Then
        bits = 64
    #Else
        bits = 32
    #End If
    LfiSelfTest = bits & "|" & LfiDescribeReport()
End Function

' Restart Python: stops xlwings' Python (if one runs), forgets that Python could not be
' reached, and recalculates, so that every LFI_ cell asks Python again.
Public Sub OnRestartPython(control As Object)
    On Error Resume Next ' no Python running, or its DLL not loadable: nothing to stop
    KillPy
    On Error GoTo 0
    LfiResetPython
    Application.StatusBar = False
    Application.CalculateFull
End Sub

' Clears the status bar some seconds after a message was shown there (Application.OnTime).
Public Sub LfiClearStatusBar()
    Application.StatusBar = False
End Sub
