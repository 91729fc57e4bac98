"""Receipts are checked by their content: what they claim to be counts for nothing."""

import io

import pytest
from PIL import Image

from tests.transfers.helpers import (
    GPS_TAG,
    pdf_bytes,
    pdf_with_escaped_javascript,
    photo_bytes,
    png_bomb,
    upload,
)
from transfers.receipts import MAX_BYTES, ReceiptRefused, receipt_check


@pytest.mark.parametrize(
    ("fmt", "content_type"),
    [("JPEG", "image/jpeg"), ("PNG", "image/png"), ("WEBP", "image/webp")],
)
def test_photos_are_kept_in_their_format(fmt, content_type):
    receipt = receipt_check(upload(photo_bytes(fmt), name="x.bin", content_type="text/plain"))

    assert receipt.content_type == content_type
    with Image.open(io.BytesIO(receipt.content)) as image:
        assert image.format == fmt
        assert image.size == (400, 300)


def test_a_photo_loses_its_exif_and_gps_position():
    original = photo_bytes("JPEG", exif_gps=True)
    with Image.open(io.BytesIO(original)) as image:
        assert GPS_TAG in image.getexif()  # the test photo does carry a position

    receipt = receipt_check(upload(original))

    with Image.open(io.BytesIO(receipt.content)) as image:
        assert dict(image.getexif()) == {}
        assert "exif" not in image.info
    assert b"Pixel 8" not in receipt.content


def test_a_huge_photo_is_scaled_down_to_something_readable():
    receipt = receipt_check(upload(photo_bytes("JPEG", (6000, 4000))))

    with Image.open(io.BytesIO(receipt.content)) as image:
        assert max(image.size) == 3000


def test_a_pdf_is_kept_with_its_page_count():
    receipt = receipt_check(upload(pdf_bytes(), name="r.pdf", content_type="application/pdf"))

    assert receipt.content_type == "application/pdf"
    assert receipt.pages == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"MZ\x90\x00 not a photo at all", "not a photo"),
        (b"<html><script>alert(1)</script></html>", "not a photo"),
        (b"\xff\xd8\xff\xe0 then nothing that decodes", "could not be read"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "could not be read"),
        (b"%PDF-1.7\n garbage", "could not be read"),
        (b"", "empty"),
    ],
)
def test_a_file_that_lies_about_its_type_is_refused(content, message):
    with pytest.raises(ReceiptRefused) as refused:
        receipt_check(upload(content, name="receipt.jpg", content_type="image/jpeg"))

    assert message in str(refused.value.message)


def test_a_decompression_bomb_is_refused_without_decoding_it():
    bomb = png_bomb()
    assert len(bomb) < 100_000

    with pytest.raises(ReceiptRefused) as refused:
        receipt_check(upload(bomb, name="r.png", content_type="image/png"))

    assert "too large" in str(refused.value.message)


def test_a_file_over_5_mb_is_refused():
    big = photo_bytes("PNG", (20, 20)) + b"\x00" * (6 * 1024 * 1024)
    assert len(big) > MAX_BYTES

    with pytest.raises(ReceiptRefused) as refused:
        receipt_check(upload(big, name="r.png", content_type="image/png"))

    assert "5 MB" in str(refused.value.message)


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(pdf_bytes(javascript=True), id="javascript"),
        pytest.param(pdf_bytes(attachment=True), id="embedded-file"),
        pytest.param(pdf_with_escaped_javascript(), id="escaped-names"),
    ],
)
def test_a_pdf_that_can_run_or_carry_something_is_refused(content):
    with pytest.raises(ReceiptRefused) as refused:
        receipt_check(upload(content, name="r.pdf", content_type="application/pdf"))

    assert "scripts" in str(refused.value.message)


def test_an_encrypted_pdf_is_refused():
    with pytest.raises(ReceiptRefused) as refused:
        receipt_check(upload(pdf_bytes(password="secret"), name="r.pdf"))

    assert "password" in str(refused.value.message)
