"""Camera scanning (issue 16 point 2), in real Chromium with its fake camera: the test draws a
printed tag (its QR code, as the kiosk prints it: level H) into a video file
(``--use-file-for-fake-video-capture``, Y4M), a clerk taps 扫码 at check-in, and the vendored
WebAssembly decoder reads the tag off the camera's picture: the garment is checked in, once,
although the camera keeps seeing it. Without a camera the button says why, in Chinese.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select

from kiosk.models import Event, Garment
from printers import documents
from printers.qr import qr_matrix
from tests.conftest import Factory

from .conftest import CHROMIUM, CHROMIUM_ARGS
from .helpers import ARTIFACTS, new_page, sign_in, unique

WIDTH, HEIGHT = 640, 480


def tag_video(code: str, path: Path, frames: int = 10) -> Path:
    """A Y4M video (4:2:0) of a tag held in front of the camera: its QR code, black on white paper."""
    matrix = qr_matrix(documents.QR(code, level="H"))
    module = 300 // len(matrix)
    size = module * len(matrix)
    picture = Image.new("L", (WIDTH, HEIGHT), 200)  # a grey counter
    paper = Image.new("L", (size + 40, size + 40), 255)
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                paper.paste(0, (20 + x * module, 20 + y * module, 20 + (x + 1) * module, 20 + (y + 1) * module))
    picture.paste(paper, ((WIDTH - paper.width) // 2, (HEIGHT - paper.height) // 2))
    ycbcr = picture.convert("RGB").convert("YCbCr")
    luma, blue, red = ycbcr.split()
    half = (WIDTH // 2, HEIGHT // 2)
    frame = luma.tobytes() + blue.resize(half).tobytes() + red.resize(half).tobytes()
    with open(path, "wb") as out:
        out.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            out.write(b"FRAME\n" + frame)
    return path


@pytest.fixture(scope="module")
def tag(server) -> str:
    prefix = unique("CAM")
    with server.session() as session:
        make = Factory()
        garment = make.garment(f"{prefix}-01", garment_type=make.garment_type(prefix), owner=make.employee(),
                               status="issued")
        session.commit()
        return garment.tag


@pytest.fixture(scope="module")
def camera_browser(browser, tag, tmp_path_factory):
    video = tag_video(tag, tmp_path_factory.mktemp("camera") / "tag.y4m")
    camera = browser.browser_type.launch(
        executable_path=CHROMIUM, headless=True,
        args=[*CHROMIUM_ARGS, "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
              f"--use-file-for-fake-video-capture={video}"])
    yield camera
    camera.close()


def test_a_tag_held_to_the_camera_is_scanned_and_checked_in_once(camera_browser, server, tag):
    clerk = server.add_user(unique("王收发"), "clerk")
    page = new_page(camera_browser, server.url, permissions=["camera"])
    try:
        sign_in(page, clerk)
        page.goto("/checkin/")
        page.get_by_test_id("camera-button").click()
        expect(page.get_by_test_id("camera-panel")).to_be_visible()
        result = page.locator("#scan-result")
        expect(result).to_have_attribute("data-scan-result", "ok", timeout=20000)
        expect(result).to_have_attribute("data-tag", tag)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "camera-scan.png"), full_page=True)
        page.wait_for_timeout(4000)  # the camera still sees the tag: it is read again, and moves nothing
        with server.session() as session:
            moves = session.scalars(select(Event.id).join(Garment, Event.garment_id == Garment.id)
                                    .where(Garment.tag == tag, Event.action == "check_in")).all()
        assert len(moves) == 1
        page.get_by_test_id("camera-close").click()
        expect(page.get_by_test_id("camera-panel")).to_have_count(0)
    finally:
        page.context.close()


def test_without_a_camera_the_button_says_why(browser, server):
    clerk = server.add_user(unique("陈收发"), "clerk")
    page = new_page(browser, server.url)  # the suite's browser has no camera at all
    try:
        sign_in(page, clerk)
        page.goto("/checkin/")
        page.get_by_test_id("camera-button").click()
        message = page.get_by_test_id("result-message")
        expect(message).to_be_visible(timeout=10000)
        expect(message).to_contain_text("摄像头")
        expect(page.get_by_test_id("camera-panel")).to_have_count(0)
    finally:
        page.context.close()
