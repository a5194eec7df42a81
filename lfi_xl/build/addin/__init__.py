"""Building the Excel add-in ``lfi_xl.xlam`` from text (``lfi_xl/addin/sources``).

- :func:`build_addin` writes it (``lfi-xl addin build``), from those sources and the VBA
  modules of :mod:`lfi_xl.build.addin.modules`;
- :mod:`lfi_xl.build.addin.bundle` writes IT's offline install folder (``make bundle``);
- :mod:`lfi_xl.build.addin.render_ribbon` draws ``docs/ribbon.png``; ``lo_modules.py`` reads
  the add-in's VBA back with LibreOffice (run by the system Python, for the tests).

Installing and checking it, what users and IT run, is :mod:`lfi_xl.addin`.
"""

from lfi_xl.build.addin.build import build_addin

__all__ = ["build_addin"]
