"""LibreOffice reads the add-in's VBA back: an independent reader of ``vbaProject.bin``.

Run with the *system* Python, which has LibreOffice's UNO bridge (Debian: python3-uno),
not with the project's virtual environment::

    /usr/bin/python3 lfi_xl/build/addin/lo_modules.py dist/lfi_xl.xlam
        prints {"<library>/<module>": "<source as LibreOffice shows it>", ...} as JSON
    /usr/bin/python3 lfi_xl/build/addin/lo_modules.py book.xlam --call LfiErrors.SplitLfiError \\
            --args '[["#N/A LFI_RAG: no actual"], ["#NUM! ..."]]'
        runs that VBA function in LibreOffice Basic (VBA mode) once per argument list,
        prints {"results": [...]}

It starts its own headless LibreOffice on a free local port with a throw-away profile,
loads the file with the filter that keeps VBA (``Calc MS Excel 2007 VBA XML``: without it
an .xlam does not load), and always stops LibreOffice again, within a deadline.

LibreOffice Basic has no conditional compilation (``#If``), so it cannot run a project that
holds xlwings' modules; ``--call`` is for a project of the modules under test only.
Standard library only (and ``uno``, imported when run): nothing here needs the venv.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from typing import Any

#: Seconds for the whole run: start, load, read, stop.
DEADLINE = 120
VBA_FILTER = "Calc MS Excel 2007 VBA XML"


class _Deadline(Exception):
    pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("workbook")
    parser.add_argument("--call", help="Module.Function to run in LibreOffice Basic")
    parser.add_argument("--args", default="[[]]",
                        help="a JSON list of argument lists: one call for each")
    options = parser.parse_args(argv)

    def expire(signum, frame):
        raise _Deadline(f"LibreOffice did not finish within {DEADLINE} s")

    signal.signal(signal.SIGALRM, expire)
    signal.alarm(DEADLINE)
    output: dict[str, Any]
    with LibreOffice() as office:
        document = office.load(os.path.abspath(options.workbook), run_macros=bool(options.call))
        try:
            if options.call:
                output = {"results": _call(document, options.call, json.loads(options.args))}
            else:
                output = _modules(document)
        finally:
            document.close(True)
    signal.alarm(0)
    json.dump(output, sys.stdout, indent=1, default=list)
    return 0


def _modules(document) -> dict[str, str]:
    libraries = document.BasicLibraries
    found = {}
    for library in libraries.getElementNames():
        libraries.loadLibrary(library)
        modules = libraries.getByName(library)
        for module in modules.getElementNames():
            found[f"{library}/{module}"] = modules.getByName(module)
    return found


def _call(document, name: str, calls: list[list]) -> list:
    module = name.split(".")[0]
    holding = [library.split("/")[0] for library in _modules(document)
               if library.split("/")[1] == module]
    if not holding:
        raise RuntimeError(f"no VBA module {module} in the document")
    library = holding[0]
    script = document.getScriptProvider().getScript(
        f"vnd.sun.star.script:{library}.{name}?language=Basic&location=document")
    return [script.invoke(tuple(args), (), ())[0] for args in calls]


class LibreOffice:
    """A headless LibreOffice of our own, listening on a free port of 127.0.0.1."""

    def __enter__(self) -> LibreOffice:
        import uno
        from com.sun.star.connection import NoConnectException

        self._profile = tempfile.mkdtemp(prefix="lfi-lo-vba-")
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        command = shutil.which("soffice") or "soffice"
        # Its own session, so that stopping it reaches every process it starts.
        self._process = subprocess.Popen(
            [command, f"-env:UserInstallation=file://{self._profile}", "--headless",
             "--invisible", "--norestore", "--nologo", "--nodefault", "--nolockcheck",
             f"--accept=socket,host=127.0.0.1,port={port};urp;"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        self._desktop: Any = None  # a UNO object: untyped
        try:
            local = uno.getComponentContext()
            resolver = local.ServiceManager.createInstanceWithContext(
                "com.sun.star.bridge.UnoUrlResolver", local)
            while True:
                try:
                    context = resolver.resolve(f"uno:socket,host=127.0.0.1,port={port};urp;"
                                               "StarOffice.ComponentContext")
                    break
                except NoConnectException:
                    if self._process.poll() is not None:
                        raise RuntimeError("LibreOffice (soffice) stopped before it "
                                           "accepted a connection") from None
                    time.sleep(0.2)
            self._desktop = context.ServiceManager.createInstanceWithContext(
                "com.sun.star.frame.Desktop", context)
        except BaseException:
            self._stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self._stop()

    def load(self, path: str, run_macros: bool):
        import uno
        from com.sun.star.beans import PropertyValue

        def option(name, value):
            item = PropertyValue()
            item.Name, item.Value = name, value
            return item

        # MacroExecutionMode 4: run the document's macros without asking (ALWAYS_EXECUTE_
        # NO_WARN); 0: never run them.
        document = self._desktop.loadComponentFromURL(
            uno.systemPathToFileUrl(path), "_blank", 0,
            (option("FilterName", VBA_FILTER), option("Hidden", True),
             option("MacroExecutionMode", 4 if run_macros else 0)))
        if document is None:
            raise RuntimeError(f"LibreOffice could not open {path}")
        return document

    def _stop(self) -> None:
        try:
            if self._desktop is not None:
                self._desktop.terminate()
        except Exception:  # the bridge closes as LibreOffice quits
            pass
        try:
            self._process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            pass
        try:  # whatever of its session is left (soffice.bin outliving its launcher)
            os.killpg(self._process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self._process.wait()
        shutil.rmtree(self._profile, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
