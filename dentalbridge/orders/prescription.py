"""What a prescription may say and what each kind of restoration needs (ORD-1).

The vocabularies are closed (STYLE.md §3). ``missing()`` tells, field by field and in words a
dentist reads, what an order still lacks before it can be sent; the same rules refuse it in the
service, so the form, the API and the tests agree.
"""

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dentalbridge.orders import teeth as fdi


class RestorationType(models.TextChoices):
    CROWN = "crown", gettext_lazy("Crown")
    BRIDGE = "bridge", gettext_lazy("Bridge")
    INLAY = "inlay", gettext_lazy("Inlay")
    ONLAY = "onlay", gettext_lazy("Onlay")
    VENEER = "veneer", gettext_lazy("Veneer")
    IMPLANT_CROWN = "implant_crown", gettext_lazy("Implant crown")
    IMPLANT_ABUTMENT = "implant_abutment", gettext_lazy("Implant abutment")
    IMPLANT_BAR = "implant_bar", gettext_lazy("Implant bar")
    FULL_DENTURE = "full_denture", gettext_lazy("Full denture")
    PARTIAL_DENTURE = "partial_denture", gettext_lazy("Partial denture")
    SPLINT = "splint", gettext_lazy("Night guard / splint")
    ALIGNERS = "aligners", gettext_lazy("Aligner series")
    MODEL = "model", gettext_lazy("Model")
    SURGICAL_GUIDE = "surgical_guide", gettext_lazy("Surgical guide")
    OTHER = "other", gettext_lazy("Other")


class Material(models.TextChoices):
    ZIRCONIA = "zirconia", gettext_lazy("Zirconia")
    LITHIUM_DISILICATE = "lithium_disilicate", gettext_lazy("Lithium disilicate")
    FELDSPATHIC = "feldspathic", gettext_lazy("Feldspathic ceramic")
    HYBRID_CERAMIC = "hybrid_ceramic", gettext_lazy("Hybrid ceramic")
    COMPOSITE = "composite", gettext_lazy("Composite")
    PMMA = "pmma", gettext_lazy("PMMA")
    METAL_CERAMIC = "metal_ceramic", gettext_lazy("Metal-ceramic (PFM)")
    COCR = "cocr", gettext_lazy("Cobalt-chromium (CoCr)")
    TITANIUM = "titanium", gettext_lazy("Titanium")
    GOLD_ALLOY = "gold_alloy", gettext_lazy("Gold alloy")
    PEEK = "peek", gettext_lazy("PEEK")
    ACRYLIC = "acrylic", gettext_lazy("Acrylic resin")
    FLEXIBLE_RESIN = "flexible_resin", gettext_lazy("Flexible resin (nylon)")
    PRINTED_RESIN = "printed_resin", gettext_lazy("3D-printed resin")
    THERMOPLASTIC = "thermoplastic", gettext_lazy("Thermoplastic foil")
    STONE = "stone", gettext_lazy("Dental stone")
    OTHER = "other", gettext_lazy("Other")


METALS = frozenset({Material.COCR, Material.TITANIUM, Material.GOLD_ALLOY})

VITA_CLASSICAL = (
    "A1", "A2", "A3", "A3.5", "A4", "B1", "B2", "B3", "B4",
    "C1", "C2", "C3", "C4", "D2", "D3", "D4",
)  # fmt: skip
VITA_3D_MASTER = (
    "0M1", "0M2", "0M3",
    "1M1", "1M2",
    "2L1.5", "2L2.5", "2M1", "2M2", "2M3", "2R1.5", "2R2.5",
    "3L1.5", "3L2.5", "3M1", "3M2", "3M3", "3R1.5", "3R2.5",
    "4L1.5", "4L2.5", "4M1", "4M2", "4M3", "4R1.5", "4R2.5",
    "5M1", "5M2", "5M3",
)  # fmt: skip
SHADES = frozenset(VITA_CLASSICAL + VITA_3D_MASTER)


def shade_choices() -> list:
    return [
        ("", "—"),
        (_("VITA classical"), [(s, s) for s in VITA_CLASSICAL]),
        (_("VITA 3D-Master"), [(s, s) for s in VITA_3D_MASTER]),
    ]


class Arch(models.TextChoices):
    NONE = "", "—"
    UPPER = "upper", gettext_lazy("Upper jaw")
    LOWER = "lower", gettext_lazy("Lower jaw")
    BOTH = "both", gettext_lazy("Both jaws")


@dataclass(frozen=True)
class Needs:
    """What one restoration type asks for."""

    teeth: int = 0  # the least number of teeth (0: the type is made for an arch instead)
    arch: bool = False
    material: bool = True
    shade: bool = False  # unless the material is a metal
    implant: bool = False
    pontics: bool = False
    description: bool = False


NEEDS: dict[str, Needs] = {
    RestorationType.CROWN: Needs(teeth=1, shade=True),
    RestorationType.BRIDGE: Needs(teeth=2, shade=True, pontics=True),
    RestorationType.INLAY: Needs(teeth=1, shade=True),
    RestorationType.ONLAY: Needs(teeth=1, shade=True),
    RestorationType.VENEER: Needs(teeth=1, shade=True),
    RestorationType.IMPLANT_CROWN: Needs(teeth=1, shade=True, implant=True),
    RestorationType.IMPLANT_ABUTMENT: Needs(teeth=1, implant=True),
    RestorationType.IMPLANT_BAR: Needs(teeth=2, arch=True, implant=True),
    RestorationType.FULL_DENTURE: Needs(arch=True, shade=True),
    RestorationType.PARTIAL_DENTURE: Needs(teeth=1, shade=True),
    RestorationType.SPLINT: Needs(arch=True),
    RestorationType.ALIGNERS: Needs(arch=True, material=False),
    RestorationType.MODEL: Needs(arch=True, material=False),
    RestorationType.SURGICAL_GUIDE: Needs(teeth=1, implant=True, material=False),
    RestorationType.OTHER: Needs(material=False, description=True),
}


def needs_for(kind: str) -> Needs:
    return NEEDS[kind]


def item_missing(item) -> dict[str, str]:
    """{field: what is missing} for one order item (an ``OrderItem`` or anything shaped so)."""
    kind = item.restoration_type
    if kind not in NEEDS:
        return {"restoration_type": _("Choose the type of restoration.")}
    needs = NEEDS[kind]
    label = RestorationType(kind).label
    missing: dict[str, str] = {}
    teeth = list(item.teeth or [])
    pontics = list(item.pontics or [])
    if needs.teeth and len(teeth) < needs.teeth:
        missing["teeth"] = (
            _("Choose the tooth on the chart.")
            if needs.teeth == 1
            else _("Choose at least %(n)s teeth on the chart for a %(type)s.")
            % {"n": needs.teeth, "type": label.lower()}
        )
    if needs.arch and not item.arch and not teeth:
        missing["arch"] = _("Say which jaw the %(type)s is for.") % {"type": label.lower()}
    if needs.material and not item.material:
        missing["material"] = _("Choose the material.")
    if needs.shade and not item.shade and item.material not in METALS:
        missing["shade"] = _("Choose the shade (VITA classical or 3D-Master).")
    if needs.implant and item.implant_platform_id is None:
        missing["implant_platform"] = _(
            "Choose the implant system and platform from the implant library."
        )
    if needs.description and not (item.notes or "").strip():
        missing["notes"] = _("Describe what the lab should make.")
    if needs.pontics and len(teeth) >= 2:
        problem = fdi.span_problem(teeth)
        if problem:
            missing["teeth"] = problem
        elif not pontics:
            missing["pontics"] = _(
                "Mark the pontics: the teeth the bridge replaces (the others are its abutments)."
            )
        elif set(pontics) >= set(teeth):
            missing["pontics"] = _("A bridge needs at least one abutment tooth.")
    return missing


def order_missing(order, items) -> dict[str, str]:
    """{field: what is missing} for the whole order; item fields are keyed ``items.<n>.<field>``
    (n from 1, as the form numbers them)."""
    missing: dict[str, str] = {}
    if order.lab_id is None:
        missing["lab"] = _("Choose the lab that will make the work.")
    if order.due_date is None:
        missing["due_date"] = _("Give the date you need the work back.")
    if not items:
        missing["items"] = _("Add at least one restoration.")
    for n, item in enumerate(items, start=1):
        for field, text in item_missing(item).items():
            missing[f"items.{n}.{field}"] = _("Restoration %(n)s: %(text)s") % {
                "n": n,
                "text": text,
            }
    return missing
