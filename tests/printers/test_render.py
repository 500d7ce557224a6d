"""printers.render: the 1-bit canvas that is both the preview and the print."""
from __future__ import annotations

import io
import math
import shutil
import subprocess

import pytest
import zxingcpp
from PIL import Image as PILImage
from PIL import ImageChops, ImageDraw

from printers import documents as d
from printers import render as r
from printers import errors
from printers.errors import MissingGlyphs, PrinterError

NAMES = "张堃 王喆 李玥 陈赟"
RARE = "𠮷"  # U+20BB7, outside the BMP: many CJK fonts lack it


def read_codes(image: PILImage.Image) -> list[str]:
    return [b.text for b in zxingcpp.read_barcodes(image.convert("L"))]


def ink(image: PILImage.Image) -> int:
    """Number of black dots."""
    return image.histogram()[0]


def font_has(char: str, face: r.FontFace) -> bool | None:
    """An oracle independent of the renderer: fontconfig's charset of the
    font file (None when fc-list is not there)."""
    if not shutil.which("fc-list"):
        return None
    out = subprocess.run(["fc-list", f":charset={ord(char):x}", "file"], capture_output=True,
                         text=True, check=True).stdout
    return any(line.strip().rstrip(":") == face.path for line in out.splitlines())


@pytest.mark.parametrize(("paper_mm", "dots"), [(58, 384), (80, 576)])
def test_a_tag_is_exactly_the_paper_width_in_one_bit(paper_mm, dots):
    image = r.render(d.garment_tag("T-000123", "1024", "西装外套", "M", "张堃"), paper_mm=paper_mm)
    assert image.mode == "1"
    assert image.width == dots
    assert 300 < image.height < 1000


@pytest.mark.parametrize("paper_mm", [58, 80])
def test_the_tag_qr_reads_back_as_the_tag_code(paper_mm):
    image = r.render(d.garment_tag("T-000123", "1024", "西装外套", "M", "张堃"), paper_mm=paper_mm)
    assert read_codes(image) == ["T-000123"]


def test_the_checkin_slip_barcode_reads_back_as_the_slip_number():
    doc = d.checkin_slip("制服室 收衣单", employee="张堃", clerk="李玥", when="2024-05-01 09:00",
                         garments=[d.GarmentLine("T-000001", "衬衫", "L", "1001")], slip_no="CI-0001")
    image = r.render(doc, paper_mm=80)
    barcode = image.crop((0, image.height - 400, image.width, image.height))
    assert "CI-0001" in read_codes(barcode)


@pytest.mark.parametrize("paper_mm", [58, 80])
def test_long_chinese_text_wraps_inside_the_paper(paper_mm):
    width = r.paper_dots(paper_mm)
    one = r.render(d.Document("t", [d.Text("制服")]), paper_mm=paper_mm)
    long = r.render(d.Document("t", [d.Text("按相应的编号配入" * 12)]), paper_mm=paper_mm)
    assert long.width == width
    assert long.height >= 3 * one.height  # several lines, not clipped
    # no ink in the right margin: every line was broken before the edge
    margin = long.crop((width - r.MARGIN + 1, 0, width, long.height))
    assert ink(margin) == 0


def test_wrap_breaks_cjk_between_any_characters_but_keeps_latin_words():
    font = r._font(r.find_font().path, r.find_font().index, r.BASE_PX)
    lines = r.wrap("收衣 laundry-basket 制服室终端打印", font, math.ceil(font.getlength("收衣 laundry-basket")))
    assert lines[0] == "收衣 laundry-basket"
    assert "".join(lines[1:]) == "制服室终端打印"
    assert all(font.getlength(line) <= font.getlength("收衣 laundry-basket") for line in lines)


def test_explicit_newlines_start_new_lines():
    font = r._font(r.find_font().path, r.find_font().index, r.BASE_PX)
    assert r.wrap("一\n二", font, 500) == ["一", "二"]


def test_names_with_rare_hanzi_render_with_real_glyphs():
    face = r.find_font()
    assert r.missing_glyphs(d.Document("t", [d.Text(NAMES)]), face) == []
    for char in "堃喆玥赟":
        assert font_has(char, face) in (True, None), char
        glyph = r._draw_text(d.Text(char, size=2), face, 576)
        tofu = r._draw_text(d.Text("\U0010FFFD", size=2), face, 576)  # drawn directly: no check
        assert ink(glyph) > 50  # drawn, not blank
        assert glyph.tobytes() != tofu.tobytes()  # and not the .notdef box


#: a name character from each CJK extension plane that Noto Sans CJK and WenQuanYi lack
#: (GB18030-2022's rarer name characters): B (吉 with 土, U+20BB7), C, D, E, F, G
EXTENSIONS = {"B": "\U00020BB7", "C": "\U0002A700", "D": "\U0002B740", "E": "\U0002B820",
              "F": "\U0002CEB0", "G": "\U00030000"}


def any_font_has(char: str) -> bool | None:
    """An oracle independent of the renderer: does fontconfig know an installed font with it?"""
    if not shutil.which("fc-list"):
        return None
    return bool(subprocess.run(["fc-list", f":charset={ord(char):x}", "file"], capture_output=True,
                               text=True, check=True).stdout.strip())


@pytest.mark.parametrize("plane", sorted(EXTENSIONS))
def test_a_name_from_every_cjk_extension_prints_with_a_real_glyph(plane):
    """Glyph by glyph: a character the main font lacks is drawn by the first fallback that has it
    (BabelStone Han for Extensions B to G), on the same line, and is neither blank nor the box."""
    char = EXTENSIONS[plane]
    face = r.find_font()
    assert any_font_has(char) in (True, None), f"{plane}: install fonts-babelstone-han (scripts/system-deps.sh)"
    assert r.missing_glyphs(d.Document("t", [d.Text(f"王{char}")]), face) == []
    assert r.font_of(face, "王") == 0  # the main font draws what it has
    glyph = r._draw_text(d.Text(char, size=2), face, 576)
    tofu = r._draw_text(d.Text("\U0010FFFD", size=2), face, 576)  # drawn directly: no check
    assert ink(glyph) > 50 and glyph.tobytes() != tofu.tobytes()
    image = r.render(d.garment_tag("T-000125", "1025", "衬衫", "M", f"王{char}"))
    assert read_codes(image) == ["T-000125"]


def test_a_rare_character_sits_on_the_line_of_the_name_around_it():
    """The fallback's glyph shares the main font's baseline: the name stays one line of one height."""
    face = r.find_font()
    plain = r._draw_text(d.Text("王吉", size=2), face, 576)
    mixed = r._draw_text(d.Text("王\U00020BB7", size=2), face, 576)
    assert mixed.size == plain.size
    rows = [ImageChops.invert(im.convert("L")).getbbox() for im in (plain, mixed)]
    assert abs(rows[0][3] - rows[1][3]) <= 3 and abs(rows[0][1] - rows[1][1]) <= 6


def test_a_character_no_installed_font_has_still_stops_the_print_with_its_name():
    face = r.find_font()
    hieroglyph = "\U00013000"  # no CJK font has it
    assert any_font_has(hieroglyph) in (False, None) or r.font_of(face, hieroglyph) is not None
    if r.font_of(face, hieroglyph) is not None:
        pytest.skip("a font with Egyptian hieroglyphs is installed here")
    with pytest.raises(MissingGlyphs) as exc:
        r.render(d.garment_tag("T-000125", "1025", "衬衫", "M", f"王{hieroglyph}"))
    assert exc.value.chars == [hieroglyph]
    assert exc.value.message == "The font cannot print: %(chars)s. Nothing was printed."
    assert exc.value.params == {"chars": hieroglyph}


def test_the_renderer_sees_the_tofu_it_would_print():
    """What MissingGlyphs guards against: the font's .notdef box."""
    face = r.find_font()
    assert r.missing_glyphs(d.Document("t", [d.Text("a\U0010FFFD b\U0010FFFD")]), face) == ["\U0010FFFD"]


def test_missing_characters_are_listed_once_each_and_whitespace_is_ignored():
    doc = d.Document("t", [d.Text("\U0010FFFD \t\u3000x"), d.Text("\U0010FFFE\U0010FFFD\n")])
    with pytest.raises(MissingGlyphs) as info:
        r.render(doc)
    assert info.value.chars == ["\U0010FFFD", "\U0010FFFE"]


def test_a_font_path_is_used_as_given_and_a_bad_one_is_a_printer_error(tmp_path, monkeypatch):
    face = r.find_font()
    assert r.find_font(face.path).path == face.path
    monkeypatch.setenv("KIOSK_FONT", face.path)
    assert r.find_font().path == face.path
    bad = tmp_path / "nope.ttf"
    bad.write_bytes(b"not a font")
    with pytest.raises(PrinterError) as info:
        r.render(d.Document("t", [d.Text("x")]), font_path=str(bad))
    assert info.value.params == {"path": str(bad)}


def test_the_default_font_is_a_cjk_font_from_the_search_list():
    face = r.find_font()
    assert face.name in {name for name, _, _ in r.FONT_CANDIDATES}


def test_an_unsupported_paper_width_is_a_printer_error():
    with pytest.raises(PrinterError, match="72 mm"):
        r.render(d.Document("t", [d.Text("x")]), paper_mm=72)


def test_bold_text_is_heavier_than_regular():
    plain = r.render(d.Document("t", [d.Text("制服室", size=2)]))
    bold = r.render(d.Document("t", [d.Text("制服室", size=2, bold=True)]))
    assert ink(bold) > ink(plain) * 1.1


def test_alignment_moves_the_text():
    def left_edge(align):
        image = r.render(d.Document("t", [d.Text("制服", align=align)]))
        return ImageChops.invert(image.convert("L")).getbbox()[0]
    assert left_edge("left") < left_edge("center") < left_edge("right")


def test_an_image_wider_than_the_paper_is_scaled_down():
    buf = io.BytesIO()
    PILImage.new("L", (1000, 100), 0).save(buf, "PNG")
    image = r.render(d.Document("sig", [d.Image(buf.getvalue())]), paper_mm=58)
    assert image.size == (384, 38)
    assert ink(image) == 384 * 38


def test_the_png_preview_has_the_same_pixels():
    image = r.render(d.garment_tag("T-000123", "1024", "西装外套", "M", "张堃"))
    png = r.to_png(image)
    assert png.startswith(b"\x89PNG")
    with PILImage.open(io.BytesIO(png)) as back:
        assert back.mode == "1" and back.tobytes() == image.tobytes()


# --- pictures (a signature from the pad) ---------------------------------------------

def png(image: PILImage.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return buf.getvalue()


def pad_signature(size=(600, 200)) -> PILImage.Image:
    """What the pad's canvas gives: dark strokes on a transparent background."""
    from PIL import ImageDraw

    sig = PILImage.new("RGBA", size, (0, 0, 0, 0))
    ImageDraw.Draw(sig).line([(40, 150), (200, 40), (360, 150), (560, 40)], fill=(17, 17, 17, 255), width=6)
    return sig


def test_a_transparent_signature_prints_black_strokes_on_white_not_a_black_band():
    image = r.render(d.Document("sig", [d.Image(png(pad_signature()))]), paper_mm=80)
    assert image.size == (576, 192)  # 600 × 200 scaled to the paper
    black = ink(image)
    assert 0 < black < image.width * image.height * 0.1  # the strokes, not the canvas
    # the strokes are black where they were drawn, the rest is paper
    assert image.getpixel((round(120 * 576 / 600), round(95 * 576 / 600))) == 0  # mid-stroke
    assert image.getpixel((10, 10)) == 255 and image.getpixel((570, 185)) == 255


def test_a_palette_or_grey_signature_with_transparency_is_on_white_too():
    for mode in ("LA", "P"):
        sig = pad_signature().convert(mode) if mode == "LA" else pad_signature().convert("RGBA").convert(
            "P", palette=PILImage.Palette.ADAPTIVE)
        image = r.render(d.Document("sig", [d.Image(png(sig))]), paper_mm=58)
        assert 0 < ink(image) < image.width * image.height * 0.1, mode


def test_a_tall_picture_is_scaled_down_to_the_picture_height_limit():
    image = r.render(d.Document("sig", [d.Image(png(PILImage.new("L", (300, 1500), 0)))]), paper_mm=80)
    assert image.size == (576, r.MAX_PICTURE_DOTS) and ink(image) == 80 * r.MAX_PICTURE_DOTS


@pytest.mark.parametrize("size", [(9000, 9000), (576, 60000)])
def test_a_huge_picture_is_refused_by_its_header_and_never_decoded(size):
    whole = png(PILImage.new("1", size, 1))
    assert r.picture_size(whole) == size
    for data in (whole, whole[:33] + b"\x00" * 64):  # the header of one, with no image behind it
        with pytest.raises(PrinterError) as info:
            r.render(d.Document("sig", [d.Text("签名"), d.Image(data)]), paper_mm=80)
        # "too large", not "cannot be read": the size was refused before any decoding
        assert info.value.message == errors.PICTURE_TOO_LARGE
        assert info.value.params == {"width": size[0], "height": size[1]}


@pytest.mark.parametrize("data", [b"GIF89a" + b"\x00" * 40, b"", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40,
                                  png(PILImage.new("L", (60, 20), 0))[:45]])
def test_bytes_that_are_not_a_whole_png_are_a_printer_error_not_a_crash(data):
    with pytest.raises(PrinterError) as info:
        r.render(d.Document("sig", [d.Image(data)]), paper_mm=80)
    assert info.value.message == errors.BAD_PICTURE


def test_picture_refuses_what_is_larger_than_the_given_bound():
    with pytest.raises(PrinterError) as info:
        r.picture(png(PILImage.new("L", (601, 200), 255)), max_size=(600, 200))
    assert info.value.message == errors.PICTURE_TOO_LARGE
    assert r.picture(png(PILImage.new("L", (600, 200), 255)), max_size=(600, 200)).size == (600, 200)


def _tear_corner(image: PILImage.Image, qr: d.QR, modules: int) -> PILImage.Image:
    """``image`` (a document whose first element is ``qr``) with a corner of ``modules`` x
    ``modules`` of the symbol gone (torn, washed out): the bottom-right, where no finder is."""
    from printers.qr import qr_matrix

    n = len(qr_matrix(qr)) - 8  # the symbol without its quiet zone
    box = min(qr.size_px, image.width) // (n + 8)
    x0, y0 = (image.width - (n + 8) * box) // 2 + 4 * box, 4 * box
    torn = image.convert("L")
    ImageDraw.Draw(torn).rectangle((x0 + (n - modules) * box, y0 + (n - modules) * box,
                                    x0 + n * box - 1, y0 + n * box - 1), fill=255)
    return torn


@pytest.mark.parametrize("paper_mm", [58, 80])
def test_a_tag_still_reads_with_a_corner_of_its_qr_torn_off(paper_mm):
    """Tags go through the wash: their QR is level H, which reads with a 7 x 7 corner gone;
    the same tear on a level M symbol (what tags had) does not read, so the tear is a real one."""
    tag = d.garment_tag("T-000123", "1024", "西装外套", "M", "张堃")
    qr = tag.elements[0]
    image = r.render(tag, paper_mm=paper_mm)
    assert [(b.text, b.ec_level) for b in zxingcpp.read_barcodes(image.convert("L"))] == [("T-000123", "H")]
    assert read_codes(_tear_corner(image, qr, 7)) == ["T-000123"]
    weaker = d.QR(qr.data, size_px=qr.size_px, level="M")
    plain = r.render(d.Document("tag", [weaker]), paper_mm=paper_mm)
    assert read_codes(plain) == ["T-000123"]
    assert read_codes(_tear_corner(plain, weaker, 7)) == []


def test_the_tags_number_is_big_enough_to_read_across_the_room():
    """The number (编号) is the line a person reads from across the room: at least 8 mm tall
    at 203 dpi (8 dots a mm), well above the type and size line under it."""
    tag = d.garment_tag("T-000123", "1024", "西装外套", "M", "张堃")
    number, kind = (el for el in tag.elements if isinstance(el, d.Text) and el.text in ("1024", "西装外套 M"))
    heights = []
    for element in (number, kind):
        line = r.render(d.Document("tag", [element]), paper_mm=80)
        box = ImageChops.invert(line.convert("L")).getbbox()
        heights.append(box[3] - box[1])
    assert heights[0] >= 8 * 8
    assert heights[0] > 1.5 * heights[1]
