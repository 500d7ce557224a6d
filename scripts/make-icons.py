"""Draw the app icons (kiosk/static/icons/) from the favicon's shirt: run once when it changes.

    .venv/bin/python scripts/make-icons.py

192 and 512 px for the web app manifest, and a maskable 512 whose shirt sits inside the safe
circle (a launcher may cut the corners off).
"""
from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parents[1] / "kiosk" / "static" / "icons"
BLUE, WHITE = (29, 78, 216, 255), (255, 255, 255, 255)
# The favicon's shirt, in its 64 x 64 box.
SHIRT = [(22, 12), (10, 20), (16, 30), (21, 27), (21, 52), (43, 52), (43, 27), (48, 30), (54, 20), (42, 12),
         (38, 16), (32, 18), (26, 16)]


def icon(size: int, *, maskable: bool) -> Image.Image:
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    if maskable:
        draw.rectangle((0, 0, size, size), fill=BLUE)
        scale, offset = size * 0.6 / 64, size * 0.2
    else:
        draw.rounded_rectangle((0, 0, size - 1, size - 1), radius=size * 12 // 64, fill=BLUE)
        scale, offset = size / 64, 0
    draw.polygon([(offset + x * scale, offset + y * scale) for x, y in SHIRT], fill=WHITE)
    return image


if __name__ == "__main__":
    OUT.mkdir(exist_ok=True)
    for size in (192, 512):
        icon(size, maskable=False).save(OUT / f"icon-{size}.png", optimize=True)
    icon(512, maskable=True).save(OUT / "icon-maskable-512.png", optimize=True)
