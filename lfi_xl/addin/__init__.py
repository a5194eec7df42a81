"""The Excel add-in as users and IT meet it: its text sources, installing it, checking it.

- ``sources/``: the add-in's VBA modules, ribbon (``customUI14.xml``) and settings
  (``lfi_xl.conf``), shipped in the wheel so that an installed lfi-xl builds the add-in from
  any folder (:mod:`lfi_xl.build.addin` builds ``lfi_xl.xlam`` from them);
- :mod:`lfi_xl.addin.install`: ``lfi-xl addin install`` / ``remove``, for the current user
  or, with ``--all-users``, for every user of the PC (IT's route, docs/addin.md);
- :mod:`lfi_xl.addin.check`: ``lfi-xl addin check``, and the Python side of the ribbon's
  Check lfi-xl button (whose steps in the user's own Excel are VBA: ``sources/LfiCheck.bas``).
"""
