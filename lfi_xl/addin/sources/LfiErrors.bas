Attribute VB_Name = "LfiErrors"
' A Python failure in an LFI_ function becomes a real Excel error value (#VALUE!, #DIV/0!,
' #N/A or #NUM!), never text in a numeric cell, and its reason is kept for =LFI_WHY(cell).
' The generated wrappers (module xlwings_udfs) call LfiUdfError where xlwings' stock
' wrapper would put the error text into the cell.
Option Explicit

' The reasons of this Excel session, by the external address of the calling cell
' ("[dsg_plan.xlsx]Plan!$D$7"); each entry is Array(error code, reason, Timer when kept).
Private reasons As Object

' Why Python could not be reached, once it could not: from then on every LFI_ function
' answers #VALUE! at once (LfiPythonDown) instead of each cell asking again (a Python that
' starts but never answers costs the DLL's two minutes each time), until Restart Python
' (LfiCheck) clears it.
Private pythonDownReason As String

' description is what Python raised: its message starts with the error code
' ("#DIV/0! LFI_AVGCOST: no placements match ..."). xlwings may put a Python traceback
' before the message, which is then the last line ("...ExcelError: #DIV/0! LFI_...").
' number is Err.Number: it tells a Python that could not be reached from one that raised.
Public Function LfiUdfError(ByVal description As String, Optional ByVal number As Long = 0) _
        As Variant
    If IsPythonUnreachable(number) Then
        NotePythonDown number, description
        LfiUdfError = LfiPythonDownError()
        Exit Function
    End If
    LfiUdfError = Record(SplitLfiError(description))
End Function

' Keeps why Python could not be started or reached, and returns it: the DLL's or VBA's
' message, what it usually means (LfiServer.LfiStartHint), and the last line Python wrote
' on stderr when it died at start (LfiServer.LfiPythonSaid). Since Excel starts python.exe
' itself, the DLL sees a Python that exits at once and says so at once.
Public Function NotePythonDown(ByVal number As Long, ByVal description As String) As String
    Dim said As String
    said = LfiPythonSaid()
    pythonDownReason = "Python could not be started or reached (error " & number & "): " & _
        TrimLineEnds(description) & LfiStartHint(description)
    If Len(said) > 0 Then
        pythonDownReason = pythonDownReason & " Python said: " & said & _
            " (all it said is in %TEMP%\lfi_xl-python.log)."
    End If
    NotePythonDown = pythonDownReason
End Function

' The reason kept while Python is down ("" when it is not).
Public Function LfiPythonDownReason() As String
    LfiPythonDownReason = pythonDownReason
End Function

' True once a function could not reach Python (see pythonDownReason).
Public Function LfiPythonDown() As Boolean
    LfiPythonDown = Len(pythonDownReason) > 0
End Function

' What every LFI_ function answers while Python is down: #VALUE!, with the reason.
Public Function LfiPythonDownError() As Variant
    LfiPythonDownError = Record(Array("#VALUE!", pythonDownReason & _
        " - fix that, then press Restart Python on the Local First Inclusion tab."))
End Function

' Restart Python: the next calculation tries Python again, with the settings read again.
Public Sub LfiResetPython()
    pythonDownReason = ""
    LfiForgetServerCommand
End Sub

' Err.Number of a failure to reach Python, not of Python raising: xlwings' VBA raises 1
' (its DLL would not load) and 1000 (the DLL could not start or reach Python's COM
' server); VBA raises 48 (error in loading DLL), 53 (DLL file not found) and 453 (no such
' DLL entry point) for its Declare statements; COM gives &H800706BA (the server is gone)
' and &H80010108 (disconnected). Python raising reaches VBA as another number
' (&H80020009, an exception with Python's text).
Public Function IsPythonUnreachable(ByVal number As Long) As Boolean
    Select Case number
        Case 1, 1000, 48, 53, 453, &H800706BA, &H80010108
            IsPythonUnreachable = True
    End Select
End Function

' Keeps parts (Array(code, reason)) for the calling cell; returns its error value. In a
' nested call (LFI_AVGCOST(..., LFI_FTE(...))) the inner function fails first, in the
' same cell, and the outer one then only says "fte contains the error #VALUE!": the
' inner, more useful reason is kept (InnermostReason).
Private Function Record(ByVal parts As Variant) As Variant
    Dim key As String, previous As Variant
    If TypeName(Application.Caller) = "Range" Then
        If reasons Is Nothing Then Set reasons = CreateObject("Scripting.Dictionary")
        key = CellKey(Application.Caller)
        If reasons.Exists(key) Then
            previous = reasons(key)
            parts = InnermostReason(previous(0), previous(1), Timer - previous(2), parts)
        End If
        reasons(key) = Array(parts(0), parts(1), Timer)
    End If
    Record = ErrorValue(parts(0))
End Function

' The reason to keep for a cell: the earlier one when it was kept moments ago (within a
' second: the same calculation) with the same code, and the new one only passes that
' code on ("... contains the error #VALUE!"); otherwise the new one.
Public Function InnermostReason(ByVal earlierCode As String, ByVal earlierReason As String, _
        ByVal secondsAgo As Double, ByVal parts As Variant) As Variant
    InnermostReason = parts
    If earlierCode <> parts(0) Or secondsAgo < 0 Or secondsAgo > 1 Then Exit Function
    If InStr(1, parts(1), "contains the error " & parts(0), vbBinaryCompare) > 0 Then
        InnermostReason = Array(earlierCode, earlierReason)
    End If
End Function

' Array(error code, reason) from description. A failure that carries no code (Python could
' not start, a bug) is #VALUE! with the whole text as the reason, so that LFI_WHY shows
' what to report.
Public Function SplitLfiError(ByVal description As String) As Variant
    Dim text As String, message As String, code As String, candidate As Variant
    Dim position As Long, best As Long
    text = TrimLineEnds(description)
    message = Mid$(text, InStrRev(text, vbLf) + 1)
    For Each candidate In Array("#VALUE!", "#DIV/0!", "#N/A", "#NUM!")
        position = CodeStart(message, CStr(candidate))
        If position > 0 And (best = 0 Or position < best) Then
            best = position
            code = candidate
        End If
    Next candidate
    If best > 0 Then
        SplitLfiError = Array(code, Trim$(Mid$(message, best + Len(code))))
    Else
        SplitLfiError = Array("#VALUE!", "Python error: " & text)
    End If
End Function

' =LFI_WHY(D7): why D7 shows an error from an LFI_ function. The reasons live only while
' Excel runs, so a cell whose error was saved with the workbook must be recalculated once.
Public Function LFI_WHY(cell As Range) As String
    Dim shown As Variant, recorded As Variant, key As String
    shown = cell.Cells(1, 1).Value
    If Not IsError(shown) Then
        LFI_WHY = "This cell shows no error."
        Exit Function
    End If
    key = CellKey(cell)
    If Not reasons Is Nothing Then
        If reasons.Exists(key) Then
            recorded = reasons(key)
            ' The error recorded, still shown? Otherwise the cell's error has another cause
            ' now. (CStr of an error value is "Error <number>".)
            If CStr(shown) = CStr(ErrorValue(recorded(0))) Then
                LFI_WHY = recorded(1)
                Exit Function
            End If
        End If
    End If
    LFI_WHY = "No error recorded for this cell; recalculate it (select it, press F2 then " & _
        "Enter, or Ctrl+Alt+F9 for every cell) and look again."
End Function

' Registers LFI_WHY's help for the function wizard (called by ThisWorkbook.Workbook_Open).
Public Sub DescribeLfiWhy()
    On Error Resume Next ' LFI_WHY works without its description
    Application.MacroOptions Macro:="'" & ThisWorkbook.Name & "'!LFI_WHY", _
        Description:="Why a cell shows an error from an LFI_ function: the reason Python " & _
            "gave. Example: LFI_WHY(D7) next to a #DIV/0! in D7.", _
        Category:="Local First Inclusion", _
        ArgumentDescriptions:=Array("The cell that shows the error.")
End Sub

' An array formula is one call, so its reason is kept under its top-left cell.
Private Function CellKey(ByVal cell As Range) As String
    Set cell = cell.Cells(1, 1)
    If cell.HasArray Then Set cell = cell.CurrentArray.Cells(1, 1)
    CellKey = cell.Address(External:=True)
End Function

Private Function ErrorValue(ByVal code As String) As Variant
    Select Case code
        Case "#DIV/0!": ErrorValue = CVErr(xlErrDiv0)
        Case "#N/A": ErrorValue = CVErr(xlErrNA)
        Case "#NUM!": ErrorValue = CVErr(xlErrNum)
        Case Else: ErrorValue = CVErr(xlErrValue)
    End Select
End Function

' Where code starts the message: at its start or right after "<exception name>: ".
' A code later in the reason ("... holds #N/A") does not count.
Private Function CodeStart(ByVal message As String, ByVal code As String) As Long
    Dim position As Long
    position = InStr(1, message, code, vbBinaryCompare)
    Do While position > 1
        If position > 2 Then
            If Mid$(message, position - 2, 2) = ": " Then Exit Do
        End If
        position = InStr(position + 1, message, code, vbBinaryCompare)
    Loop
    CodeStart = position
End Function

Private Function TrimLineEnds(ByVal text As String) As String
    Do While Len(text) > 0
        Select Case Right$(text, 1)
            Case vbCr, vbLf, " ", vbTab
                text = Left$(text, Len(text) - 1)
            Case Else
                Exit Do
        End Select
    Loop
    TrimLineEnds = text
End Function
