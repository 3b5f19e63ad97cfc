"""The file formats DentalBridge accepts, by the ids intake gives them."""

from dentalbridge.patients.models import RecordItemKind

# id: (media type, extension of generated names, record item kind)
FORMATS = {
    "stl-binary": ("model/stl", ".stl", RecordItemKind.SCAN),
    "stl-ascii": ("model/stl", ".stl", RecordItemKind.SCAN),
    "ply": ("application/x-ply", ".ply", RecordItemKind.SCAN),
    "obj": ("model/obj", ".obj", RecordItemKind.SCAN),
    "mtl": ("model/mtl", ".mtl", RecordItemKind.SCAN),
    "3mf": ("model/3mf", ".3mf", RecordItemKind.SCAN),
    "dicom": ("application/dicom", ".dcm", RecordItemKind.CBCT),
    "dicom-zip": ("application/zip", ".zip", RecordItemKind.CBCT),
    "zip": ("application/zip", ".zip", RecordItemKind.CBCT),
    "jpeg": ("image/jpeg", ".jpg", RecordItemKind.PHOTO),
    "png": ("image/png", ".png", RecordItemKind.PHOTO),
    "tiff": ("image/tiff", ".tif", RecordItemKind.PHOTO),
    "heic": ("image/heic", ".heic", RecordItemKind.PHOTO),
    "pdf": ("application/pdf", ".pdf", RecordItemKind.DOCUMENT),
    "mp4": ("video/mp4", ".mp4", RecordItemKind.VIDEO),
    "glb": ("model/gltf-binary", ".glb", RecordItemKind.SCAN),
}
MESHES = frozenset({"stl-binary", "stl-ascii", "ply", "obj", "3mf"})
PHOTOS = frozenset({"jpeg", "png", "tiff", "heic"})
DICOM = frozenset({"dicom", "dicom-zip"})


def media_type_for(fmt: str) -> str:
    return FORMATS.get(fmt, ("application/octet-stream", "", None))[0]


def extension_for(fmt: str) -> str:
    return FORMATS.get(fmt, ("", ".bin", None))[1]


def kind_for(fmt: str) -> str:
    return FORMATS.get(fmt, ("", "", RecordItemKind.DOCUMENT))[2]
