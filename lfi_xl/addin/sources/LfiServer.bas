Attribute VB_Name = "LfiServer"
' How Excel starts lfi-xl's Python, and what Python said when it could not start.
'
' xlwings' DLL starts the command it is given with CreateProcess, exactly as given (no
' shell), with no window, and keeps one Python COM server per distinct command
' (xlwingsdll config.cpp, GetAutoConfig). xlwings' own XLPyCommand wraps python.exe in a
' hidden command prompt and puts the active workbook's name into the command; here
' XLPyCommand returns LfiServerCommand instead (lfi_xl.build.addin.modules patches xlwings'
' module), which is:
' - python.exe itself, from the add-in's own INTERPRETER_WIN: the only program Excel
'   starts, the one an attack-surface-reduction exclusion has to name;
' - the same for every workbook (the add-in's own settings only, never a workbook's): one
'   server serves them all, the buttons too (RunPython runs in it), and Restart Python
'   (KillPy, the same command) stops that one.
Option Explicit

' Python's stderr goes to this file in %TEMP% from its first statement (the standard
' library only), so that a Python that dies at start leaves its reason for LFI_WHY.
Public Const LFI_PYTHON_LOG As String = "lfi_xl-python.log"

' The command of this Excel session and its Python, worked out once: KillPy must give the
' DLL the very string that started the server.
Private serverCommand As String, serverInterpreter As String

' What XLPyCommand returns. Raises 1000 (Python could not be started) when the add-in
' names no Python or one that is not there, before the DLL is asked to start it.
Public Function LfiServerCommand() As String
    Dim interpreter As String
    If Len(serverCommand) = 0 Then
        interpreter = LfiInterpreter()
        If Len(interpreter) = 0 Then
            Err.Raise 1000, Description:="the add-in names no Python (INTERPRETER_WIN in " & _
                "its sheet lfi_xl.conf): run lfi-xl addin install with the Python that has lfi-xl"
        End If
        If Not FileExists(interpreter) Then
            Err.Raise 1000, Description:="the add-in's Python " & interpreter & _
                " is not there (moved, uninstalled or not allowed to be seen): run lfi-xl " & _
                "addin install again with the Python that has lfi-xl"
        End If
        serverCommand = LfiServerCommandFor(interpreter)
        serverInterpreter = interpreter
    End If
    LfiServerCommand = serverCommand
End Function

' The Python of LfiServerCommand (xlwings' XLPyLoadDLL loads the DLL from beside it).
Public Function LfiServerInterpreter() As String
    LfiServerCommand
    LfiServerInterpreter = serverInterpreter
End Function

' Forget the command (Restart Python, after KillPy): the next one reads the settings again.
Public Sub LfiForgetServerCommand()
    serverCommand = ""
    serverInterpreter = ""
End Sub

' The command line for interpreter: "<python.exe>" -B -c "<code>". Windows hands python.exe
' the quoted code as one argument; the code holds no double quote and no backslash, so
' nothing in it needs escaping, and no path is written into it ($(CLSID) is filled in by
' the DLL with the server's class id).
Public Function LfiServerCommandFor(ByVal interpreter As String) As String
    LfiServerCommandFor = Chr(34) & interpreter & Chr(34) & " -B -c " & Chr(34) & _
        "import os,sys;sys.stderr=open(os.path.join(os.environ.get('TEMP','.'),'" & _
        LFI_PYTHON_LOG & "'),'w',1);import xlwings;xlwings.serve('$(CLSID)')" & Chr(34)
End Function

' The Python to start: INTERPRETER_WIN from the add-in's own sheet lfi_xl.conf (written by
' lfi-xl addin install), else from %USERPROFILE%\.lfi_xl\lfi_xl.conf. A workbook's own
' lfi_xl.conf sheet or folder file is not read for it: every workbook uses the one server.
Public Function LfiInterpreter() As String
    Dim settings As Object
    If SheetExists(ThisWorkbook, "lfi_xl.conf") Then
        Set settings = GetConfigFromSheet(ThisWorkbook)
        If settings.Exists("INTERPRETER_WIN") Then LfiInterpreter = CStr(settings.Item("INTERPRETER_WIN"))
    End If
    If Len(LfiInterpreter) = 0 Then LfiInterpreter = CStr(GetConfig("INTERPRETER_WIN", "", "user"))
End Function

' What Python wrote last on stderr (its traceback's last line: the exception) when it did
' so in the last two minutes, else "". path defaults to %TEMP%\lfi_xl-python.log.
Public Function LfiPythonSaid(Optional ByVal path As String = "") As String
    Dim handle As Integer, line As String, last As String
    If Len(path) = 0 Then path = Environ("TEMP") & "\" & LFI_PYTHON_LOG
    On Error GoTo unreadable
    If Len(Dir(path)) = 0 Then Exit Function
    If DateDiff("s", FileDateTime(path), Now) > 120 Then Exit Function
    handle = FreeFile
    Open path For Input Access Read Shared As #handle ' the server may still hold it open
    Do While Not EOF(handle)
        Line Input #handle, line
        If Len(Trim$(line)) > 0 Then last = Trim$(line)
    Loop
    Close #handle
    LfiPythonSaid = last
    Exit Function
unreadable:
    Resume giveUp
giveUp:
    On Error Resume Next ' a log that vanished or is locked: nothing to add to the reason
    If handle <> 0 Then Close #handle
    LfiPythonSaid = ""
End Function

' What to do about a failure to start Python, from the DLL's or VBA's message: the
' message alone names the symptom, not the policy behind it.
Public Function LfiStartHint(ByVal description As String) As String
    If InStr(1, description, "Could not create Python process", vbTextCompare) > 0 Then
        LfiStartHint = " Windows refused to start Python: an attack-surface-reduction rule " & _
            "(Block all Office applications from creating child processes), AppLocker or " & _
            "WDAC may block Excel from starting python.exe (docs/addin.md, For IT)."
    ElseIf InStr(1, description, "Could not load", vbTextCompare) > 0 Then
        LfiStartHint = " The xlwings DLL beside the add-in's Python could not be loaded: " & _
            "reinstall xlwings into that Python, or ask IT about the rule Block Win32 API " & _
            "calls from Office macros (docs/addin.md, For IT)."
    ElseIf InStr(1, description, "exited before", vbTextCompare) > 0 Then
        LfiStartHint = " Python started and stopped at once."
    ElseIf InStr(1, description, "Could not activate", vbTextCompare) > 0 Then
        LfiStartHint = " Python started but did not answer within the DLL's two minutes."
    End If
End Function
