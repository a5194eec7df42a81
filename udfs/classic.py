"""xlwings' classic (VBA-wrapped) UDF machinery, on any platform.

On Windows ``@xw.func``, ``@xw.arg`` and ``@xw.ret`` *are* ``xlwings.udfs.xlfunc``,
``xlarg`` and ``xlret``: they record each function's ``__xlfunc__`` metadata, from which
``xlwings.udfs.generate_vba_wrapper`` writes the VBA wrappers that Excel calls. Elsewhere
xlwings swaps them for no-ops, yet we need the same metadata to build the add-in and to
test the functions on Linux. The decorators and the generator are plain Python; only the
module's imports need the Windows COM bindings (pywin32). So, off Windows, we import the
module with empty stand-ins for those three modules, which nothing here calls, and
remove them again at once.
"""

from __future__ import annotations

import importlib
import sys
import types
from functools import cache

_COM_MODULES = ("pythoncom", "pywintypes", "win32com", "win32com.client")


class _Unavailable(types.ModuleType):
    """A Windows-only module off Windows: any use says so plainly."""

    def __getattr__(self, name: str):
        def unavailable(*args, **kwargs):
            raise RuntimeError(f"{self.__name__}.{name} needs Windows and pywin32")

        return unavailable


@cache
def udfs_module() -> types.ModuleType:
    """``xlwings.udfs``, imported with or without pywin32."""
    try:
        return importlib.import_module("xlwings.udfs")
    except ImportError:
        pass
    added = [name for name in _COM_MODULES if name not in sys.modules]
    for name in added:
        sys.modules[name] = _Unavailable(name)
    try:
        return importlib.import_module("xlwings.udfs")
    finally:
        for name in added:
            sys.modules.pop(name, None)


def decorators():
    """``(func, arg, ret)``: xlwings' classic ``@xw.func``, ``@xw.arg``, ``@xw.ret``."""
    module = udfs_module()
    return module.xlfunc, module.xlarg, module.xlret
