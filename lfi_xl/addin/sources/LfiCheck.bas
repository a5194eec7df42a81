Attribute VB_Name = "LfiCheck"
' The ribbon's support buttons: Check lfi-xl (OnCheck) and Restart Python; and LfiSelfTest,
' which lfi-xl addin check runs in an Excel it starts.
'
' Check lfi-xl runs in the user's own Excel, started the usual way, with the user's Trust
' Center settings, ribbon and policies: what lfi-xl addin check (an Excel started by
' automation, where macros run whatever the Trust Center says) cannot prove. Each step runs
' and reports on its own: one that fails does not stop the others.
Option Explicit

' What Python gives for the check's formulas (tests compare them with lfi_udfs).
Private Const PCTCHANGE_FORMULA As String = "=LFI_PCTCHANGE(10500,10000)"
Private Const PCTCHANGE_ANSWER As Double = 0.05
Private Const CUMBAL_FORMULA As String = "=LFI_CUMBAL(53.976,{19.637,25.149})"
Private Const CUMBAL_FIRST As Double = 73.613
Private Const CUMBAL_SECOND As Double = 98.762

Private report As String, failures As Long, stepNumber As Long

' "<Office bits>|<descriptions registered>|<registrations failed>|<first failure>".
' Calling it compiles the project's modules that it uses; Python compares the counts with
' the functions it has.
Public Function LfiSelfTest() As String
    LfiSelfTest = OfficeBits() & "|" & LfiDescribeReport()
End Function

' Restart Python: stops the add-in's Python (if one runs), forgets that Python could not be
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

' Check lfi-xl: one line per step in a message (Ctrl+C copies it), in this order.
Public Sub OnCheck(control As Object)
    Dim scratch As Workbook, dynamicArrays As Boolean
    report = ""
    failures = 0
    stepNumber = 0
    dynamicArrays = CheckExcel()
    CheckMacros
    Say "The ribbon is loaded", True, "you pressed its Check lfi-xl button"
    CheckModules
    If CheckPythonStarts() Then
        Application.ScreenUpdating = False
        On Error Resume Next
        Set scratch = Workbooks.Add
        On Error GoTo 0
        Application.ScreenUpdating = True
    End If
    CheckFormulas scratch, dynamicArrays
    CheckButtonPath scratch
    CheckDescriptions
    If Not scratch Is Nothing Then scratch.Close SaveChanges:=False
    CheckSave
    MsgBox report & vbLf & IIf(failures = 0, "All checks passed: lfi-xl works in this Excel.", _
        failures & " check(s) failed: do what the line says, or send these lines (Ctrl+C " & _
        "copies them) to whoever supports lfi-xl."), _
        IIf(failures = 0, vbInformation, vbExclamation), "Check lfi-xl"
End Sub

Private Sub Say(ByVal title As String, ByVal passed As Boolean, ByVal seen As String)
    stepNumber = stepNumber + 1
    report = report & stepNumber & ". " & title & ": " & IIf(passed, "ok - ", "FAILED - ") & _
        seen & vbLf
    If Not passed Then failures = failures + 1
End Sub

' Excel 2016 or later; Excel 2016 and 2019 (no dynamic arrays) are said, not failed.
Private Function CheckExcel() As Boolean
    Dim seen As String
    On Error GoTo failed
    seen = "Excel " & Application.Version & " build " & Application.Build & ", " & _
        OfficeBits() & "-bit"
    If Val(Application.Version) < 16 Then
        Say "This Excel is supported", False, seen & ": lfi-xl needs Excel 2016 or later " & _
            "(Microsoft 365 recommended)"
        Exit Function
    End If
    CheckExcel = HasDynamicArrays()
    If CheckExcel Then
        Say "This Excel is supported", True, seen & ", with dynamic arrays"
    Else
        Say "This Excel is supported", True, seen & " without dynamic arrays (Excel 2016 " & _
            "or 2019): every function works; LFI_CUMBAL and LFI_COSTS fill only the cells " & _
            "of an array formula entered with Ctrl+Shift+Enter, as in the template"
    End If
    Exit Function
failed:
    Say "This Excel is supported", False, "error " & Err.Number & ": " & Err.Description
End Function

' That this code runs proves Excel let the add-in's macros run, under this user's Trust
' Center settings; where the add-in is says whether that holds by default.
Private Sub CheckMacros()
    Dim folder As String, where As String
    On Error GoTo failed
    folder = ThisWorkbook.Path
    If StrComp(folder, Application.StartupPath, vbTextCompare) = 0 Then
        where = "in your start-up folder (trusted by default: User StartUp)"
    ElseIf StrComp(folder, Application.Path & "\XLSTART", vbTextCompare) = 0 Then
        where = "in Office's start-up folder, for every user (trusted by default)"
    Else
        where = "in " & folder & ", not a start-up folder: they run because of your " & _
            "current settings; ask IT to make that folder a trusted location"
    End If
    Say "The add-in's macros run", True, ThisWorkbook.FullName & " " & where
    Exit Sub
failed:
    Say "The add-in's macros run", True, "this check runs (error " & Err.Number & _
        " telling where the add-in is: " & Err.Description & ")"
End Sub

' A procedure of each module is called: VBA compiles a module when it is first used, and a
' module that does not compile stops this check with Excel's "Compile error" and the line.
' (xlwings_udfs, the function wrappers, compiles with the first LFI_ cell below.)
Private Sub CheckModules()
    Dim probe As New Dictionary, called As String
    On Error GoTo failed
    called = IIf(IsPythonUnreachable(1000), "LfiErrors", "")
    called = called & ", " & IIf(Len(LfiServerCommandFor("python.exe")) > 0, "LfiServer", "")
    called = called & ", " & IIf(Len(LfiButtonFailure(0, "")) > 0, "LfiRibbon", "")
    called = called & ", " & IIf(Len(LfiDescribeReport()) > 0, "LfiFunctionHelp", "")
    called = called & ", " & IIf(Len(XLWINGS_VERSION) > 0, "xlwings " & XLWINGS_VERSION, "")
    probe.Add "compiled", True
    called = called & ", " & IIf(probe.Exists("compiled"), "Dictionary", "")
    Say "Every module compiles", True, "ThisWorkbook (at start), LfiCheck, " & called
    Exit Sub
failed:
    Say "Every module compiles", False, "error " & Err.Number & ": " & Err.Description
End Sub

' The add-in's one Python server is started (or found running), as the first LFI_ cell would.
Private Function CheckPythonStarts() As Boolean
    Dim started As Single, python As Object
    If LfiPythonDown() Then
        Say "Python starts", False, LfiPythonDownReason() & " Fix that, then press " & _
            "Restart Python and check again."
        Exit Function
    End If
    started = Timer
    On Error GoTo failed
    Set python = XLPy()
    Say "Python starts", True, LfiServerInterpreter() & " answered after " & _
        Format(Timer - started, "0.0") & " s (process " & _
        XLPy.Str(XLPy.Eval("__import__('os').getpid()")) & ")"
    CheckPythonStarts = True
    Exit Function
failed:
    Say "Python starts", False, NotePythonDown(Err.Number, Err.Description)
End Function

' The check's formulas in a new workbook: the path of a cell (wrapper, DLL, server, back).
Private Sub CheckFormulas(ByVal scratch As Workbook, ByVal dynamicArrays As Boolean)
    Dim sheet As Worksheet, value As Variant, spill As Object
    If scratch Is Nothing Then
        Say "LFI_PCTCHANGE gives Python's answer", False, "not run: Python did not start"
        Say "LFI_CUMBAL fills two cells", False, "not run: Python did not start"
        Exit Sub
    End If
    Set sheet = scratch.Worksheets(1)
    On Error GoTo pctchange
    sheet.Range("A1").Formula = PCTCHANGE_FORMULA
    sheet.Calculate
    value = sheet.Range("A1").Value
    Say "LFI_PCTCHANGE gives Python's answer", Agrees(value, PCTCHANGE_ANSWER), _
        PCTCHANGE_FORMULA & " shows " & Shown(sheet.Range("A1")) & ", expected " & PCTCHANGE_ANSWER
    GoTo cumbal
pctchange:
    Say "LFI_PCTCHANGE gives Python's answer", False, "error " & Err.Number & ": " & Err.Description
    Resume cumbal
cumbal:
    On Error GoTo cumbalFailed
    If dynamicArrays Then
        Set spill = sheet.Range("A2")
        spill.Formula2 = CUMBAL_FORMULA
    Else
        sheet.Range("A2:B2").FormulaArray = CUMBAL_FORMULA
    End If
    sheet.Calculate
    Say "LFI_CUMBAL fills two cells", Agrees(sheet.Range("A2").Value, CUMBAL_FIRST) And _
        Agrees(sheet.Range("B2").Value, CUMBAL_SECOND), CUMBAL_FORMULA & " shows " & _
        Shown(sheet.Range("A2")) & " and " & Shown(sheet.Range("B2")) & ", expected " & _
        CUMBAL_FIRST & " and " & CUMBAL_SECOND & IIf(dynamicArrays, " (spilled)", _
        " (an array formula)")
    Exit Sub
cumbalFailed:
    Say "LFI_CUMBAL fills two cells", False, "error " & Err.Number & ": " & Err.Description
End Sub

' A button's path: RunPython, as every workbook button calls it, runs Python in the same
' server as the functions; Python writes what it found into the new workbook (through
' Excel), and checks this Python against the add-in (xlwings version, DLL).
Private Sub CheckButtonPath(ByVal scratch As Workbook)
    Const SAME As String = "A button runs Python in the same server"
    Const MATCHES As String = "This Python has the add-in's xlwings and DLL"
    Dim found As Variant, server As String
    If scratch Is Nothing Then
        Say SAME, False, "not run: Python did not start"
        Say MATCHES, False, "not run: Python did not start"
        Exit Sub
    End If
    On Error GoTo failed
    scratch.Activate
    server = XLPy.Str(XLPy.Eval("__import__('os').getpid()"))
    If RunPython("import lfi_xl.addin.check as c; c.ribbon_probe(" & OfficeBits() & ")") _
            = -1 Then
        Say SAME, False, "Python raised: the message before this one says what"
        Say MATCHES, False, "not known: Python raised"
        Exit Sub
    End If
    found = Split(CStr(scratch.Worksheets(1).Range("D1").Value) & "|||", "|")
    Say SAME, found(0) = server, "RunPython ran in process " & found(0) & _
        "; the functions' server is process " & server
    Say MATCHES, found(1) = "ok", found(2)
    Exit Sub
failed:
    Say SAME, False, LfiButtonFailure(Err.Number, Err.Description)
    Say MATCHES, False, "not known: the button's Python did not run"
End Sub

Private Sub CheckDescriptions()
    Dim counts As Variant
    On Error GoTo failed
    counts = Split(LfiDescribeReport() & "||", "|")
    If CLng(counts(0)) = LFI_FUNCTION_COUNT And CLng(counts(1)) = 0 Then
        Say "The function wizard has the descriptions", True, counts(0) & " of " & _
            LFI_FUNCTION_COUNT & " registered; fx on LFI_PCTCHANGE shows them"
    Else
        Say "The function wizard has the descriptions", False, counts(0) & " of " & _
            LFI_FUNCTION_COUNT & " registered; the first failure: " & counts(2) & _
            " (the functions work without them)"
    End If
    Exit Sub
failed:
    Say "The function wizard has the descriptions", False, "error " & Err.Number & ": " & _
        Err.Description
End Sub

' Excel saves the add-in with the project it compiled. An add-in IT installed for every
' user is in a folder users cannot write: it stays as built, which works too.
Private Sub CheckSave()
    On Error GoTo failed
    ThisWorkbook.Save
    Say "Excel saves the add-in it compiled", True, ThisWorkbook.FullName
    Exit Sub
failed:
    Say "Excel saves the add-in it compiled", True, "not saved (" & Err.Description & _
        "); the add-in works as built"
End Sub

' Dynamic arrays come with Range.Formula2, late-bound here: Excel 2016 and 2019 do not know
' it, and an early-bound use would stop this whole module compiling there.
Private Function HasDynamicArrays() As Boolean
    Dim cell As Object, formula As Variant
    Set cell = ThisWorkbook.Worksheets(1).Range("A1")
    On Error Resume Next
    formula = cell.Formula2
    HasDynamicArrays = (Err.Number = 0)
    On Error GoTo 0
End Function

Private Function Agrees(ByVal value As Variant, ByVal expected As Double) As Boolean
    If IsError(value) Or Not IsNumeric(value) Then Exit Function
    Agrees = Abs(CDbl(value) - expected) <= 0.000000001 * Abs(expected)
End Function

' A cell's value as shown, with LFI_WHY's reason when it is an error.
Private Function Shown(ByVal cell As Range) As String
    If IsError(cell.Value) Then
        Shown = cell.Text & " (LFI_WHY: " & LFI_WHY(cell) & ")"
    Else
        Shown = CStr(cell.Value)
    End If
End Function

Private Function OfficeBits() As Long
    #If Win64 Then
        OfficeBits = 64
    #Else
        OfficeBits = 32
    #End If
End Function
