"""Build the CJK font the monthly review's PDF embeds: ``web/fonts/NotoSansSC-Subset.ttf``.

The PDF library (ReportLab) embeds TrueType outlines only, and Noto Sans SC ships as an OpenType
font with PostScript (CFF) outlines, 16 MB of every CJK glyph. This keeps the characters a Chinese
business text uses (ASCII and Latin-1, general punctuation, CJK symbols, full-width forms and the
6,763 characters of GB 2312), converts their cubic outlines to TrueType quadratics, and writes a
TrueType font of a few megabytes that the repository can carry. A PDF embeds only the glyphs it
uses (ReportLab subsets again), so a report stays small.

Noto Sans SC is under the SIL Open Font License 1.1, which allows this subset and its
redistribution under the same licence under another name (README, "Third-party"). Run once when
the charset changes::

    python tools/build_report_font.py NotoSansCJKsc-Regular.otf web/fonts/NotoSansSC-Subset.ttf

(needs ``fonttools``; the source font is in the ``mplfonts`` wheel and Debian's ``fonts-noto-cjk``).
"""

from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTFont, newTable

#: The family name the subset is published under (the OFL reserves none for Noto).
FAMILY = "Hub Report Sans SC"
#: Largest distance, in font units, between a cubic curve and its quadratic approximation.
MAX_ERROR = 1.0


def charset() -> set[int]:
    """The code points kept: Latin, punctuation, CJK symbols, full-width forms and GB 2312."""
    points: set[int] = set(range(0x20, 0x7F)) | set(range(0xA0, 0x180))
    points |= set(range(0x2000, 0x2070)) | set(range(0x2100, 0x2200)) | set(range(0x2460, 0x2500))
    points |= set(range(0x25A0, 0x2700)) | set(range(0x3000, 0x3040)) | set(range(0xFF00, 0xFFF0))
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                points.add(ord(bytes((high, low)).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    return points


def to_truetype(font: TTFont) -> None:
    """Replace the CFF table by ``glyf``/``loca`` with the same glyphs in quadratic curves."""
    order = font.getGlyphOrder()
    glyphs = font.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = {}
    for name in order:
        pen = TTGlyphPen(glyphs)
        glyphs[name].draw(Cu2QuPen(pen, MAX_ERROR, reverse_direction=True))
        glyf.glyphs[name] = pen.glyph()
    font["glyf"] = glyf
    font["loca"] = newTable("loca")
    del font["CFF "]
    if "VORG" in font:
        del font["VORG"]
    maxp = font["maxp"]
    maxp.tableVersion = 0x00010000
    for field in (
        "maxZones",
        "maxTwilightPoints",
        "maxStorage",
        "maxFunctionDefs",
        "maxInstructionDefs",
        "maxStackElements",
        "maxSizeOfInstructions",
        "maxComponentElements",
    ):
        setattr(maxp, field, 0)
    maxp.maxZones = 1
    font["head"].indexToLocFormat = 0
    font["head"].glyphDataFormat = 0
    post = font["post"]
    post.formatType = 3.0
    post.extraNames = []
    post.mapping = {}
    font.sfntVersion = "\x00\x01\x00\x00"


def rename(font: TTFont) -> None:
    names = font["name"]
    for record in list(names.names):
        if record.nameID in (1, 3, 4, 6, 16, 17):
            names.removeNames(nameID=record.nameID)
    postscript = FAMILY.replace(" ", "") + "-Regular"
    for name_id, value in ((1, FAMILY), (3, postscript), (4, FAMILY), (6, postscript)):
        names.setName(value, name_id, 3, 1, 0x409)
        names.setName(value, name_id, 1, 0, 0)


def build(source: Path, target: Path) -> None:
    font = TTFont(source, fontNumber=0, lazy=False)
    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.hinting = False
    options.drop_tables += ["VORG", "DSIG", "BASE", "GSUB", "GPOS", "GDEF"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=charset())
    subsetter.subset(font)
    to_truetype(font)
    rename(font)
    target.parent.mkdir(parents=True, exist_ok=True)
    font.save(target)
    print(f"{target}: {len(font.getGlyphOrder())} glyphs, {target.stat().st_size} bytes")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    build(Path(sys.argv[1]), Path(sys.argv[2]))
