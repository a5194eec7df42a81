"""The Excel add-in ``lfi_xl.xlam``: built from text (``addin/``), installed per user.

- :func:`build_addin` writes it (``lfi-xl addin build``), from the sources in ``addin/``
  and the VBA modules of :mod:`lfi_xl.build.addin.modules`;
- :func:`install` and :func:`remove` put it into Excel's start-up folder and take it out
  (``lfi-xl addin install`` / ``lfi-xl addin remove``), raising :class:`InstallError`
  with a message for a person when they cannot;
- :mod:`lfi_xl.build.addin.check` checks the installed add-in in Excel, step by step
  (``lfi-xl addin check``, the ribbon's Check lfi-xl);
- :mod:`lfi_xl.build.addin.render_ribbon` draws ``docs/ribbon.png``; ``lo_modules.py`` reads
  the add-in's VBA back with LibreOffice (run by the system Python, for the tests).
"""

from lfi_xl.build.addin.build import build_addin
from lfi_xl.build.addin.install import InstallError, install, remove

__all__ = ["InstallError", "build_addin", "install", "remove"]
