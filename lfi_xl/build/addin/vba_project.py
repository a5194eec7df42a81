"""The add-in's VBA project, ``xl/vbaProject.bin``, written from module text per [MS-OVBA].

The one place that knows the ``ms-ovba`` package (0.0.1, young: pinned, and kept behind
:func:`vba_project_bin`). What we rely on, checked with that version:

- each module's stream is the module's text, compressed; the text is exactly what Excel
  stores (``Attribute VB_Name = ...`` lines, then the code; CRLF line ends). ms-ovba reads
  it from ``<file>.new``. We write that file ourselves instead of calling
  ``normalize_file()``: for a document module that method keeps only the fifth line of an
  exported header and appends ``VB_TemplateDerived``/``VB_Customizable`` *after* the code,
  which garbles a module that has code (our ThisWorkbook has ``Workbook_Open``);
- ms-ovba-compression 1.0.1 sizes a copy token's longest match as
  ``0xFFFF << (bit_count + 3)``; [MS-OVBA]'s CopyToken Help says ``(0xFFFF >> bit_count)
  + 3``. A long repeat late in a 4 KB chunk is then written with a length its token
  cannot hold, and the module reads back as garbage (modules under 4 KB mostly escape
  it). We correct that one formula for the call (:func:`_spec_copy_token_lengths`); the
  tests read every stream back with oletools' own decompressor;
- ms-ovba writes its intermediate files into the current folder, so it runs in a temporary
  one;
- the project id must be a braced GUID (its crypto step fails otherwise);
- the same modules give the same bytes: the storages keep a zero timestamp, the module
  cookies are fixed and the project id is ours. The one chance element is the seed byte of
  the PROJECT stream's obfuscated fields ([MS-OVBA] data encryption: any value reads back
  alike), which ms-ovba-crypto draws from Python's global random generator: we seed it
  from the project id for the call, and put its state back afterwards.

What a working project has besides its modules, as every writer known to produce files
that run writes it (Excel itself, LibreOffice's ``oox/source/ole/vbaexport.cxx``), and
ms-ovba does not unless told (files from it alone open but may not run):

- REFERENCE records to the two type libraries every Excel project refers to, ``stdole``
  (OLE Automation) and ``Office`` (the Office object library), with the LibIds Microsoft
  365 64-bit Excel writes in a new add-in (:data:`REFERENCES`; LibreOffice writes the same
  GUIDs and versions with 32-bit paths). VBA finds a registered library by GUID and
  version; the path is only a hint. Our code uses neither library (the ribbon's control
  is ``As Object``), so no PC can make a reference "MISSING" matter;
- ``VersionCompatible32="393222000"`` in the PROJECT stream, and a ``[Workspace]`` section
  with one line per module (the values LibreOffice writes: ``0, 0, 0, 0, C`` for a
  document or class module, ``25, 25, 1439, 639, `` for a standard module).

pyOpenVBA (6.5.0, MIT, 2026) was compared: it adds modules to a project Excel wrote (its
blank add-in template, the source of :data:`REFERENCES`) rather than writing one from
nothing. It would replace this module and its two work-arounds, at the price of a large
new dependency whose template is a binary we did not write; the records above are what
its template holds, so ms-ovba stays, behind :func:`vba_project_bin`.
"""

from __future__ import annotations

import os
import random
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ms_ovba.Models.Entities.doc_module import DocModule
from ms_ovba.Models.Entities.reference import Reference
from ms_ovba.Models.Entities.reference_registered import ReferenceRegistered
from ms_ovba.Models.Entities.std_module import StdModule
from ms_ovba.Models.Fields.libid_reference import LibidReference
from ms_ovba.vbaProject import VbaProject
from ms_ovba.Views.project_ole_file import ProjectOleFile
from ms_ovba_compression.ms_ovba import MsOvba

#: The kinds of VBA module, as the PROJECT stream names them.
STANDARD, CLASS, DOCUMENT = "Module", "Class", "Document"
#: (name, GUID, version, path, description) of each type library the project refers to.
REFERENCES = (
    ("stdole", "00020430-0000-0000-C000-000000000046", "2.0",
     r"C:\Windows\System32\stdole2.tlb", "OLE Automation"),
    ("Office", "2DF8D04C-5BFA-101B-BDE5-00AA0044DE52", "2.0",
     r"C:\Program Files\Common Files\Microsoft Shared\OFFICE16\MSO.DLL",
     "Microsoft Office 16.0 Object Library"),
)
#: The PROJECT stream's VersionCompatible32, as Excel and LibreOffice write it.
VERSION_COMPATIBLE32 = "393222000"
#: [Workspace] window positions (LibreOffice's values), by kind of module.
WORKSPACE = {STANDARD: (25, 25, 1439, 639, ""), CLASS: (0, 0, 0, 0, "C"),
             DOCUMENT: (0, 0, 0, 0, "C")}


@dataclass(frozen=True)
class VbaModule:
    """One VBA module: its name, its kind and its text as the stream holds it ("\\n" ends)."""

    name: str
    kind: str
    code: str

    def stream_text(self) -> bytes:
        """The text as Excel stores it: CRLF line ends, in the project's code page.

        Our sources are ASCII (non-ASCII characters are written as ``ChrW(n)``), so the
        bytes are the same in every Windows code page.
        """
        text = self.code.replace("\r\n", "\n").replace("\n", "\r\n")
        try:
            return text.encode("ascii")
        except UnicodeEncodeError as error:
            raise ValueError(f"VBA module {self.name}: non-ASCII text at character "
                             f"{error.start}; write it as ChrW({ord(text[error.start])})"
                             ) from None


def vba_project_bin(modules: Sequence[VbaModule], project_id: str) -> bytes:
    """The bytes of ``vbaProject.bin`` holding ``modules``; ``project_id`` is "{GUID}"."""
    kinds = {STANDARD: StdModule, CLASS: _ClassModule, DOCUMENT: DocModule}
    project = VbaProject()
    project.project_id = project_id
    project.include_projectwm()  # module names in Unicode too, as Excel writes them
    project.add_attribute("VersionCompatible32", VERSION_COMPATIBLE32)
    for name, guid, version, path, description in REFERENCES:
        libid = LibidReference(uuid.UUID(guid), version, "0", path, description)
        project.add_reference(Reference(ReferenceRegistered(libid), name))
    here, chance = os.getcwd(), random.getstate()
    with tempfile.TemporaryDirectory(prefix="lfi-vba-") as folder:
        os.chdir(folder)
        random.seed(project_id)
        try:
            with _spec_copy_token_lengths():
                # In a subfolder, so that no module name can clash with ms-ovba's own
                # intermediate files ("dir.bin", "project.bin", ...).
                Path("modules").mkdir()
                for module in modules:
                    entry = kinds[module.kind](module.name)
                    path = os.path.join("modules", module.name)
                    Path(path + ".new").write_bytes(module.stream_text())
                    entry.add_file(path)
                    entry.add_workspace(*WORKSPACE[module.kind])
                    project.add_module(entry)
                ProjectOleFile.write_file(project)
            return Path("vbaProject.bin").read_bytes()
        finally:
            os.chdir(here)
            random.setstate(chance)


class _ClassModule(DocModule):
    """ms-ovba has no class module; one is a document module in the dir stream
    (MODULETYPE 0x0022) that the PROJECT stream lists as ``Class=``."""

    def to_project_module_string(self) -> str:
        return f"{CLASS}={self.name}"


@contextmanager
def _spec_copy_token_lengths() -> Iterator[None]:
    """ms-ovba-compression with [MS-OVBA]'s maximum copy token length (see above)."""
    stock = MsOvba.__dict__["copytoken_help"]

    def copytoken_help(difference: int) -> dict:
        help = stock.__func__(difference)
        help["maxLength"] = (0xFFFF >> help["bitCount"]) + 3
        return help

    setattr(MsOvba, "copytoken_help", staticmethod(copytoken_help))  # noqa: B010
    try:
        yield
    finally:
        setattr(MsOvba, "copytoken_help", stock)  # noqa: B010
