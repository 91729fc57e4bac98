"""Receipts as a phone or a bank sends them (and as an attacker would), and reports as kept."""

import io
import struct
import zlib
from datetime import timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

ACCOUNTS = (
    "Banco Pichincha|Ahorros|2201234567|Mi ISP S.A.;"
    "Banco Guayaquil|Corriente|0012345678|Mi ISP S.A."
)
PICHINCHA = "2201234567"
UNPAID_TOTAL = Decimal("351.51")  # invoices 3112 (330.00) and 4624 (21.51) of the reference
GPS_TAG = 0x8825


def photo_bytes(fmt: str = "JPEG", size=(400, 300), *, exif_gps: bool = False) -> bytes:
    """A small photo; with exif_gps, carrying a camera model and a GPS position in its EXIF."""
    image = Image.new("RGB", size, (200, 220, 240))
    out = io.BytesIO()
    kwargs = {}
    if exif_gps:
        exif = Image.Exif()
        exif[0x0110] = "Pixel 8"  # Model
        exif[GPS_TAG] = {1: "S", 2: (0.0, 10.0, 30.0), 3: "W", 4: (78.0, 30.0, 0.0)}
        kwargs["exif"] = exif.tobytes()
    image.save(out, format=fmt, **kwargs)
    return out.getvalue()


def upload(content: bytes, name: str = "receipt.jpg", content_type: str = "image/jpeg"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bomb(width: int = 30_000, height: int = 30_000) -> bytes:
    """A PNG whose header claims 900 million pixels, in a few hundred bytes (a decompression
    bomb: decoding it would take gigabytes)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    rows = zlib.compress(b"\x00" * (width + 1) * 4, 9)
    chunks = _chunk(b"IHDR", header) + _chunk(b"IDAT", rows) + _chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + chunks


def pdf_bytes(*, javascript: bool = False, attachment: bool = False, password: str = "") -> bytes:
    """A one-page PDF made by pypdf; optionally with an opening script, a file, a password."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=300, height=400)
    if javascript:
        from pypdf.actions import JavaScript

        writer.add_open_action(JavaScript("app.alert('hello');"))
    if attachment:
        writer.add_attachment("invoice.exe", b"MZ\x90\x00")
    if password:
        writer.encrypt(password)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pdf_with_escaped_javascript() -> bytes:
    """A hand-written PDF whose open action is JavaScript, its names #-escaped to dodge a
    plain text search (/OpenAction as /Open#41ction, /JavaScript as /J#61vaScript)."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R /Open#41ction 4 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 400] >>",
        b"<< /S /J#61vaScript /J#53 (app.alert\\(1\\)) >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    trailer = b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n"
    out.write(trailer % (len(objects) + 1, xref))
    return out.getvalue()


def report_data(**overrides) -> dict:
    """A report of both unpaid invoices, as the form posts it."""
    data = {
        "invoices": ["3112", "4624"],
        "bank": PICHINCHA,
        "paid_on": (timezone.localdate() - timedelta(days=1)).isoformat(),
        "amount": "351.51",
        "reference": "0012345",
        "receipt": upload(photo_bytes()),
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def report_make(user, *, status="review", reference="0012345", bank="Banco Pichincha", **fields):
    """A report as the form leaves it, with a small stored PNG receipt."""
    from django.core.files.base import ContentFile

    from transfers.banks import bank_key
    from transfers.models import TransferReport
    from transfers.services import reference_key

    values = {
        "user": user,
        "client_id": user.smartisp_id,
        "invoices": [
            {"num_bill": "3112", "invoice_id": 0, "total": "330.00"},
            {"num_bill": "4624", "invoice_id": 4585, "total": "21.51"},
        ],
        "bank": bank,
        "bank_key": bank_key(bank),
        "account": PICHINCHA,
        "reference": reference,
        "reference_key": reference_key(reference),
        "paid_on": timezone.localdate() - timedelta(days=1),
        "amount": UNPAID_TOTAL,
        "receipt_type": "image/png",
        "receipt_size": 100,
        "status": status,
    }
    values.update(fields)
    report = TransferReport(**values)
    report.receipt.save("r.png", ContentFile(photo_bytes("PNG", (20, 20))), save=False)
    report.save()
    return report


def invoice_answers(smartisp, *, paid=(), totals=None) -> None:
    """What getInvoiceCliente answers for client 1's unpaid invoices 3112 and 4624 (the
    reference's example body with their ids and totals), `paid` ones as paid."""
    import copy

    import responses

    from tests.conftest import api, example_json

    totals = {"3112": "330.00", "4624": "21.51", **(totals or {})}
    for num_bill, invoice_id in (("3112", 0), ("4624", 4585)):
        body = copy.deepcopy(example_json("getInvoiceCliente"))
        status = "Pagada" if num_bill in paid else "No pagado"
        body["estatus"] = status
        body["BillCustomer"].update(
            id=invoice_id,
            num_bill=num_bill,
            total_pay=totals[num_bill],
            status=status,
            paid_on="2026-12-01" if num_bill in paid else None,
        )
        smartisp.upsert(responses.GET, api(f"getInvoiceCliente/{num_bill}"), json=body)
