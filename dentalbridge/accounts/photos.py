"""Profile photos: decoded, bounded, re-encoded without metadata (ACC-5, ASVS V5).

A profile photo is not clinical, so re-encoding it is fine, and doing so drops EXIF/GPS and any
payload hidden after the image data.
"""

import io

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_PIXELS = 40_000_000  # refuse pixel floods before decoding
SIZE = (512, 512)


def normalized_photo(upload) -> ContentFile:
    if upload.size > settings.MAX_PROFILE_PHOTO_BYTES:
        raise ValidationError(
            _("The photo is larger than %(mb)d MB.")
            % {"mb": settings.MAX_PROFILE_PHOTO_BYTES // (1024 * 1024)}
        )
    image: Image.Image  # an ImageFile until transposed
    try:
        with Image.open(upload) as image:
            if image.format not in {"JPEG", "PNG", "WEBP"}:
                raise ValidationError(_("Use a JPEG, PNG or WebP image."))
            if image.width * image.height > MAX_PIXELS:
                raise ValidationError(_("The image has too many pixels."))
            image = ImageOps.exif_transpose(image).convert("RGB")
            image.thumbnail(SIZE)
            out = io.BytesIO()
            image.save(out, format="JPEG", quality=85)
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError) as exc:
        raise ValidationError(_("This file is not an image we can read.")) from exc
    return ContentFile(out.getvalue(), name="photo.jpg")
