"""Draw the add-in's ribbon tab (``lfi_xl/addin/sources/customUI14.xml``) into
``docs/ribbon.png``.

No Excel runs here, so the user guide's picture of the tab is a drawing made from the
ribbon's own XML: the tab strip with the add-in's tab selected, each group with its
buttons (label, and an icon in the spirit of the ``imageMso`` it names) and the group
label. The PNG records the SHA-256 of the XML it was drawn from (text chunk
``customUI-sha256``), so a test can tell when the picture is out of date.

Run ``python -m lfi_xl.build.addin.render_ribbon`` after changing the ribbon.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from lxml import etree

from lfi_xl.build.addin.modules import SOURCES

CUSTOMUI = SOURCES / "customUI14.xml"
#: The project folder's docs (the picture is for the user guide, not the package).
PICTURE = Path(__file__).resolve().parents[3] / "docs" / "ribbon.png"
NS = {"ui": "http://schemas.microsoft.com/office/2009/07/customui"}
HASH_KEY = "customUI-sha256"
#: Excel's built-in tabs, before an add-in's own.
BUILT_IN_TABS = ("File", "Home", "Insert", "Page Layout", "Formulas", "Data", "Review",
                 "View", "Help")

WIDTH, STRIP, BODY = 1000, 34, 118
EXCEL_GREEN, INK, GREY, LINE = (33, 115, 70), (38, 38, 38), (96, 96, 96), (212, 212, 212)


def ribbon(xml: bytes) -> tuple[str, list[tuple[str, list[tuple[str, str]]]]]:
    """``(tab label, [(group label, [(button label, imageMso), ...]), ...])``."""
    root = etree.fromstring(xml)
    (tab,) = root.xpath("ui:ribbon/ui:tabs/ui:tab", namespaces=NS)
    groups = [(group.get("label"),
               [(button.get("label"), button.get("imageMso"))
                for button in group.xpath("ui:button", namespaces=NS)])
              for group in tab.xpath("ui:group", namespaces=NS)]
    return tab.get("label"), groups


def source_hash(xml: bytes) -> str:
    return hashlib.sha256(xml).hexdigest()


def render_ribbon(customui: Path = CUSTOMUI, output: Path = PICTURE) -> Path:
    """Draw the tab of ``customui`` into the PNG ``output``; returns ``output``."""
    from PIL import Image, ImageDraw, ImageFont
    from PIL.PngImagePlugin import PngInfo

    xml = Path(customui).read_bytes()
    tab_label, groups = ribbon(xml)
    font = ImageFont.load_default(size=13)
    small = ImageFont.load_default(size=11)
    image = Image.new("RGB", (WIDTH, STRIP + BODY + 40), (243, 243, 243))
    draw = ImageDraw.Draw(image)

    # The tab strip, the add-in's tab selected as Excel draws it.
    x = 14
    for label in (*BUILT_IN_TABS, tab_label):
        width = int(draw.textlength(label, font=font)) + 22
        if label == tab_label:
            draw.rectangle((x, 4, x + width, STRIP), fill="white", outline=LINE)
            draw.line((x + 1, STRIP, x + width - 1, STRIP), fill="white")
            draw.text((x + 11, 11), label, font=font, fill=EXCEL_GREEN)
            draw.line((x + 8, STRIP - 4, x + width - 8, STRIP - 4), fill=EXCEL_GREEN,
                      width=3)
        else:
            draw.text((x + 11, 11), label, font=font, fill=INK)
        x += width

    # The ribbon body: groups of large buttons, the group's label underneath.
    top = STRIP
    draw.rectangle((0, top, WIDTH - 1, top + BODY), fill="white", outline=LINE)
    x = 10
    for group_label, buttons in groups:
        start = x
        for label, image_mso in buttons:
            lines = _wrap(draw, label, font)
            width = max(64, *(int(draw.textlength(line, font=font)) + 14 for line in lines))
            _ICONS[image_mso](draw, x + width // 2 - 16, top + 10)
            for number, line in enumerate(lines):
                draw.text((x + width // 2, top + 52 + 16 * number), line, font=font,
                          fill=INK, anchor="ma")
            x += width + 4
        x = max(x, start + int(draw.textlength(group_label, font=small)) + 16)
        draw.text(((start + x) // 2, top + BODY - 18), group_label, font=small, fill=GREY,
                  anchor="ma")
        draw.line((x + 2, top + 8, x + 2, top + BODY - 6), fill=LINE)
        x += 8

    draw.text((14, top + BODY + 14), "A rendering of the add-in's ribbon tab (customUI14.xml) "
              "by lfi_xl/build/addin/render_ribbon.py, not an Excel screenshot. Icons stand in "
              "for Office's own.", font=small, fill=GREY)
    metadata = PngInfo()
    metadata.add_text(HASH_KEY, source_hash(xml))
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    image.save(output, pnginfo=metadata)
    return output


def _wrap(draw, label: str, font) -> list[str]:
    """Excel's large buttons wrap a long label onto two lines at the most even space."""
    words = label.split()
    if len(words) == 1 or draw.textlength(label, font=font) <= 70:
        return [label]
    splits = [(" ".join(words[:k]), " ".join(words[k:])) for k in range(1, len(words))]
    return list(min(splits, key=lambda pair: max(draw.textlength(part, font=font)
                                                 for part in pair)))


# ------------------------------------------------------------------ icons (32 x 32)
def _accept(draw, x: int, y: int) -> None:  # AcceptInvitation: a green tick
    draw.ellipse((x + 1, y + 1, x + 31, y + 31), fill=(226, 240, 217), outline=EXCEL_GREEN,
                 width=2)
    draw.line((x + 8, y + 17, x + 14, y + 23, x + 24, y + 10), fill=EXCEL_GREEN, width=4,
              joint="curve")


def _lock(draw, x: int, y: int) -> None:  # Lock: a padlock
    draw.arc((x + 8, y + 1, x + 24, y + 21), 180, 360, fill=GREY, width=3)
    draw.line((x + 9, y + 11, x + 9, y + 15), fill=GREY, width=3)
    draw.line((x + 23, y + 11, x + 23, y + 15), fill=GREY, width=3)
    draw.rounded_rectangle((x + 4, y + 14, x + 28, y + 31), radius=3, fill=(236, 180, 40),
                           outline=(160, 110, 10))
    draw.ellipse((x + 14, y + 19, x + 18, y + 23), fill=(120, 80, 0))
    draw.line((x + 16, y + 22, x + 16, y + 27), fill=(120, 80, 0), width=2)


def _sheet(draw, x: int, y: int) -> None:
    draw.rectangle((x + 2, y + 2, x + 22, y + 30), fill="white", outline=EXCEL_GREEN,
                   width=2)
    for row in (10, 17, 24):
        draw.line((x + 5, y + row, x + 19, y + row), fill=(150, 190, 160))
    draw.line((x + 12, y + 5, x + 12, y + 27), fill=(150, 190, 160))


def _export(draw, x: int, y: int) -> None:  # ExportExcel: a sheet, an arrow out
    _sheet(draw, x, y)
    draw.line((x + 16, y + 18, x + 29, y + 18), fill=(0, 100, 190), width=3)
    draw.polygon(((x + 31, y + 18), (x + 25, y + 12), (x + 25, y + 24)), fill=(0, 100, 190))


def _import(draw, x: int, y: int) -> None:  # ImportExcel: a sheet, an arrow in
    _sheet(draw, x + 8, y)
    draw.line((x + 1, y + 18, x + 14, y + 18), fill=(0, 100, 190), width=3)
    draw.polygon(((x + 18, y + 18), (x + 12, y + 12), (x + 12, y + 24)), fill=(0, 100, 190))


def _insert(draw, x: int, y: int) -> None:  # SheetInsert: a sheet, a green plus
    _sheet(draw, x, y)
    draw.ellipse((x + 15, y + 15, x + 31, y + 31), fill=EXCEL_GREEN)
    draw.line((x + 23, y + 18, x + 23, y + 28), fill="white", width=3)
    draw.line((x + 18, y + 23, x + 28, y + 23), fill="white", width=3)


def _review(draw, x: int, y: int) -> None:  # ReviewAcceptChange: a page with a tick
    _sheet(draw, x, y)
    draw.line((x + 14, y + 20, x + 20, y + 27, x + 31, y + 12), fill=EXCEL_GREEN, width=4,
              joint="curve")


def _refresh(draw, x: int, y: int) -> None:  # Refresh: a circular arrow
    draw.arc((x + 4, y + 4, x + 28, y + 28), 40, 330, fill=(0, 100, 190), width=4)
    draw.polygon(((x + 29, y + 4), (x + 29, y + 15), (x + 18, y + 11)), fill=(0, 100, 190))


def _export_word(draw, x: int, y: int) -> None:  # ExportWord: a page, Word's blue W
    draw.rectangle((x + 6, y + 1, x + 28, y + 31), fill="white", outline=GREY)
    for line in range(4):
        draw.line((x + 16, y + 8 + 6 * line, x + 25, y + 8 + 6 * line), fill=GREY)
    draw.rectangle((x + 1, y + 8, x + 15, y + 24), fill=(43, 87, 154))
    draw.line((x + 3, y + 11, x + 5, y + 21, x + 8, y + 14, x + 11, y + 21, x + 13, y + 11),
              fill="white", width=2)


#: A drawing for each imageMso the ribbon uses; a new one needs a drawing here.
_ICONS = {"AcceptInvitation": _accept, "Lock": _lock, "ExportExcel": _export,
          "ImportExcel": _import, "SheetInsert": _insert, "ReviewAcceptChange": _review,
          "Refresh": _refresh, "ExportWord": _export_word}


if __name__ == "__main__":
    print(render_ribbon())
