"""Receipts of transfers: hostile until their content says otherwise.

JPEG, PNG or WebP images (decoded by Pillow, with a pixel limit against decompression bombs, then
re-encoded from their pixels alone, so no EXIF, GPS position or other metadata is kept) and PDFs
(the header, a page count by pypdf, and nothing that runs or launches: no JavaScript, no open
action, no launch action, no embedded file), up to 5 MB. The name a file arrives with, and the
type the browser claims for it, count for nothing.
"""

import io
import logging
import re
import warnings
from dataclasses import dataclass

from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

logger = logging.getLogger(__name__)

MAX_BYTES = 5 * 1024 * 1024
# A 48-megapixel phone photo passes; anything past it is refused before its pixels are decoded.
MAX_PIXELS = 50_000_000
# Re-encoded images are kept at most this wide or tall: plenty to read a receipt, small to store.
MAX_SIDE = 3000
MAX_PDF_PAGES = 20
# How many PDF objects the active-content check looks at before calling the file too complex.
MAX_PDF_OBJECTS = 50_000

IMAGE_TYPES = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
}
PDF_TYPE = ("application/pdf", "pdf")

# Names whose presence anywhere in a PDF means it can run or launch something.
ACTIVE_NAMES = frozenset(
    {
        "/JavaScript",
        "/JS",
        "/OpenAction",
        "/AA",
        "/Launch",
        "/EmbeddedFile",
        "/EmbeddedFiles",
        "/RichMedia",
        "/XFA",
        "/SubmitForm",
        "/ImportData",
    }
)
# The long ones as raw bytes, #xx escapes undone: a cheap look before parsing that also sees
# objects no reference reaches. (Short names such as /JS would match compressed bytes by chance.)
_RAW_ACTIVE = re.compile(
    rb"/(JavaScript|OpenAction|Launch|EmbeddedFiles?|RichMedia|SubmitForm|ImportData)"
)
_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")


class ReceiptRefused(Exception):
    """The file is not a receipt the portal keeps; `message` tells the subscriber why."""

    def __init__(self, message) -> None:
        super().__init__(str(message))
        self.message = message


@dataclass(frozen=True)
class Receipt:
    """A checked receipt, ready to store: the bytes to keep and what they are."""

    content: bytes
    content_type: str
    extension: str
    pages: int = 1


def receipt_read(upload: UploadedFile) -> bytes:
    """The upload's bytes, refusing an empty file or one over MAX_BYTES without reading it all."""
    if upload.size is not None and upload.size > MAX_BYTES:
        raise ReceiptRefused(_("The file is larger than 5 MB. Send a smaller photo or PDF."))
    upload.seek(0)
    data = upload.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise ReceiptRefused(_("The file is larger than 5 MB. Send a smaller photo or PDF."))
    if not data:
        raise ReceiptRefused(_("The file is empty."))
    return data


def sniff(data: bytes) -> str | None:
    """What the first bytes say the file is: "JPEG", "PNG", "WEBP", "PDF", or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    if data.startswith(b"%PDF-"):
        return "PDF"
    return None


def receipt_check(upload: UploadedFile) -> Receipt:
    """Check an uploaded receipt by its content; ReceiptRefused says what is wrong with it."""
    data = receipt_read(upload)
    kind = sniff(data)
    if kind is None:
        raise ReceiptRefused(_("The file is not a photo (JPEG, PNG or WebP) or a PDF."))
    if kind == "PDF":
        return pdf_check(data)
    return image_clean(data, kind)


# -- images -------------------------------------------------------------------------------------


def image_clean(data: bytes, kind: str) -> Receipt:
    """Decode the image (refusing bombs and files that are not what they start like) and encode
    its pixels again, and nothing else."""
    unreadable = ReceiptRefused(_("The photo could not be read. Take it again or send a PDF."))
    try:
        with warnings.catch_warnings():
            # Pillow warns past its MAX_IMAGE_PIXELS and fails at twice that: refuse at the warning.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                if probe.format != kind:
                    raise unreadable
                width, height = probe.size
                if width < 1 or height < 1 or width * height > MAX_PIXELS:
                    raise ReceiptRefused(_("The photo is too large to open. Send a smaller one."))
                probe.verify()
            # verify() leaves the image unusable: open it again to decode the pixels.
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                upright = ImageOps.exif_transpose(image) or image
                pixels = upright.convert("RGBA" if has_alpha(upright) else "RGB")
    except ReceiptRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ReceiptRefused(_("The photo is too large to open. Send a smaller one.")) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        logger.info("receipt image refused: %s", type(exc).__name__)
        raise unreadable from None
    # A new image from the pixels alone: no EXIF, GPS, XMP, ICC profile or text chunk survives.
    clean = Image.frombytes(pixels.mode, pixels.size, pixels.tobytes())
    clean.thumbnail((MAX_SIDE, MAX_SIDE))
    out = io.BytesIO()
    if kind == "PNG":
        clean.save(out, format="PNG", optimize=True)
    elif kind == "WEBP":
        clean.save(out, format="WEBP", quality=85)
    else:
        clean.convert("RGB").save(out, format="JPEG", quality=85, optimize=True)
    content_type, extension = IMAGE_TYPES[kind]
    return Receipt(content=out.getvalue(), content_type=content_type, extension=extension)


def has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info


# -- PDFs ---------------------------------------------------------------------------------------


def pdf_check(data: bytes) -> Receipt:
    """A PDF with pages, not encrypted, with nothing that runs, launches or carries files."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    active = ReceiptRefused(
        _("The PDF contains scripts, actions or attached files. Send the plain receipt or a photo.")
    )
    unreadable = ReceiptRefused(_("The PDF could not be read. Send it again or send a photo."))
    if _RAW_ACTIVE.search(_NAME_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), data)):
        raise active
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise ReceiptRefused(_("The PDF is password-protected. Send one without a password."))
        pages = len(reader.pages)
        if pdf_active(reader.trailer):
            raise active
    except ReceiptRefused:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, RecursionError, OSError):
        raise unreadable from None
    except Exception:
        # pypdf meets files its authors never saw; none of them may become a 500.
        logger.warning("receipt PDF refused: pypdf failed", exc_info=True)
        raise unreadable from None
    if pages < 1:
        raise ReceiptRefused(_("The PDF has no pages."))
    if pages > MAX_PDF_PAGES:
        raise ReceiptRefused(_("The PDF has more than 20 pages. Send only the receipt."))
    content_type, extension = PDF_TYPE
    return Receipt(content=data, content_type=content_type, extension=extension, pages=pages)


def pdf_active(root) -> bool:
    """Whether any object reachable from the trailer names active content (pypdf has already
    undone name escapes and unpacked object streams)."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

    seen: set[tuple[int, int]] = set()
    todo = [root]
    looked = 0
    while todo:
        node = todo.pop()
        looked += 1
        if looked > MAX_PDF_OBJECTS:
            raise ValueError("too many objects")
        if isinstance(node, IndirectObject):
            key = (node.idnum, node.generation)
            if key in seen:
                continue
            seen.add(key)
            node = node.get_object()
        if isinstance(node, DictionaryObject):
            for name, value in node.items():
                if name in ACTIVE_NAMES:
                    return True
                if isinstance(value, NameObject) and value in ACTIVE_NAMES:
                    return True
                todo.append(value)
        elif isinstance(node, ArrayObject):
            todo.extend(node)
        elif isinstance(node, NameObject) and node in ACTIVE_NAMES:
            return True
    return False
