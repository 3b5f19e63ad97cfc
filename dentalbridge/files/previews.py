"""Thumbnails of photos for lists (FIL-5). The full-resolution photo is never re-encoded; only
this small preview is (a PNG, so it carries no metadata)."""

from dentalbridge.files.sandbox import run_limited

THUMBNAIL_SIZE = (480, 480)
MAX_PIXELS = 200_000_000


def _photo_thumbnail(src: str, dst: str) -> list[int]:
    from PIL import Image, ImageOps

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    image: Image.Image  # an ImageFile until transposed
    with Image.open(src) as image:
        image.draft("RGB", THUMBNAIL_SIZE)  # JPEG: decode at a fraction of the size
        image = ImageOps.exif_transpose(image)
        image.thumbnail(THUMBNAIL_SIZE)
        if image.mode not in ("RGB", "RGBA", "L"):
            image = image.convert("RGB")
        image.save(dst, format="PNG", optimize=True)
        return list(image.size)


def photo_thumbnail(src: str, dst: str) -> list[int]:
    return run_limited(_photo_thumbnail, src, dst, timeout=60, memory_mb=2048)
