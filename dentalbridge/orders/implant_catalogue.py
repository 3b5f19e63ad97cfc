"""The starting implant library (ORD-5): manufacturer → system → prosthetic platform.

These are names and dimensions as commonly published by the manufacturers. They are written out
by hand, with no third-party files and nothing copied from a catalogue. They seed the shared
implant library. After seeding, labs add their own entries and the platform team edits the shared
ones, so this list does not try to cover every system or every diameter. Trademarks belong to
their owners.

Each platform is a ``(name, diameter)`` pair, and a platform is what decides which abutments fit:

* ``name`` is the manufacturer's platform code where one is commonly published ("NC", "RP",
  "GM", "3.5 mm platform"). When a system's platforms are just its implant diameters, or when
  no code is published, the name is the diameter written as "Ø<mm>" (for example "Ø4.3").
* ``diameter`` is the implant body diameter in mm, as a decimal string. It is given only when
  the platform comes in exactly one implant diameter. It is ``None`` when the platform spans
  several implant diameters (Straumann RC takes Ø4.1 and Ø4.8; Neodent GM takes all of them).
  In that case the implant diameter goes on the order, not here.

A platform code is never repeated with different diameters, so each name appears only once within
its system.
"""

CATALOGUE: tuple[tuple[str, tuple[tuple[str, tuple[tuple[str, str | None], ...]], ...]], ...] = (
    (
        "Straumann",
        (
            (
                "Bone Level Tapered (BLT)",
                (("SC", "2.9"), ("NC", "3.3"), ("RC", None)),
            ),
            ("BLX", (("RB", None), ("WB", None))),
            ("TLX", (("NT", None), ("RT", None), ("WT", None))),
            ("Tissue Level", (("NNC", "3.3"), ("RN", None), ("WN", "4.8"))),
            ("Bone Level", (("NC", "3.3"), ("RC", None))),
        ),
    ),
    (
        "Nobel Biocare",
        (
            ("NobelActive", (("3.0", "3.0"), ("NP", "3.5"), ("RP", None), ("WP", "5.5"))),
            ("NobelParallel CC", (("NP", "3.75"), ("RP", None), ("WP", "5.5"))),
            ("NobelReplace CC", (("NP", "3.5"), ("RP", None), ("WP", None))),
            (
                "NobelReplace Tapered",
                (("NP", "3.5"), ("RP", "4.3"), ("WP", "5.0"), ("6.0", "6.0")),
            ),
            ("Brånemark System", (("NP", "3.3"), ("RP", None), ("WP", "5.0"))),
        ),
    ),
    (
        "Dentsply Sirona",
        (
            (
                "Astra Tech Implant System EV",
                (
                    ("Ø3.0", "3.0"),
                    ("Ø3.6", "3.6"),
                    ("Ø4.2", "4.2"),
                    ("Ø4.8", "4.8"),
                    ("Ø5.4", "5.4"),
                ),
            ),
            ("Ankylos", (("A", "3.5"), ("B", "4.5"), ("C", "5.5"), ("D", "7.0"))),
            ("XiVE", (("Ø3.4", "3.4"), ("Ø3.8", "3.8"), ("Ø4.5", "4.5"), ("Ø5.5", "5.5"))),
        ),
    ),
    (
        "Zimmer Biomet",
        (
            (
                "Tapered Screw-Vent",
                (("3.5 mm platform", None), ("4.5 mm platform", None), ("5.7 mm platform", None)),
            ),
            (
                "TSX",
                (("3.5 mm platform", None), ("4.5 mm platform", None), ("5.7 mm platform", None)),
            ),
            (
                "T3",
                (
                    ("3.4 mm platform", None),
                    ("4.1 mm platform", None),
                    ("5.0 mm platform", None),
                    ("6.0 mm platform", None),
                ),
            ),
        ),
    ),
    (
        "BioHorizons",
        (
            (
                "Tapered Internal",
                (
                    ("3.0 mm platform", "3.0"),
                    ("3.5 mm platform", None),
                    ("4.5 mm platform", None),
                    ("5.7 mm platform", None),
                ),
            ),
            (
                "Tapered Pro",
                (("3.5 mm platform", None), ("4.5 mm platform", None), ("5.7 mm platform", None)),
            ),
        ),
    ),
    (
        "Camlog",
        (
            (
                "Camlog Screw-Line",
                (
                    ("Ø3.3", "3.3"),
                    ("Ø3.8", "3.8"),
                    ("Ø4.3", "4.3"),
                    ("Ø5.0", "5.0"),
                    ("Ø6.0", "6.0"),
                ),
            ),
            (
                "Conelog Screw-Line",
                (("Ø3.3", "3.3"), ("Ø3.8", "3.8"), ("Ø4.3", "4.3"), ("Ø5.0", "5.0")),
            ),
            ("iSy", (("Ø3.8", "3.8"), ("Ø4.4", "4.4"), ("Ø5.0", "5.0"))),
        ),
    ),
    (
        "MIS",
        (
            ("C1", (("Ø3.3", "3.3"), ("Ø3.75", "3.75"), ("Ø4.2", "4.2"), ("Ø5.0", "5.0"))),
            ("V3", (("Ø3.3", "3.3"), ("Ø3.9", "3.9"), ("Ø4.3", "4.3"), ("Ø5.0", "5.0"))),
            (
                "Seven",
                (
                    ("Ø3.3", "3.3"),
                    ("Ø3.75", "3.75"),
                    ("Ø4.2", "4.2"),
                    ("Ø5.0", "5.0"),
                    ("Ø6.0", "6.0"),
                ),
            ),
        ),
    ),
    (
        "Neodent",
        (
            ("Helix GM", (("GM", None),)),
            ("Drive GM", (("GM", None),)),
            ("Titamax GM", (("GM", None),)),
        ),
    ),
    (
        "Osstem",
        (
            ("TSIII", (("Mini", None), ("Regular", None))),
            ("SSIII", (("Regular", None), ("Wide", None))),
        ),
    ),
    (
        "MegaGen",
        (
            (
                "AnyRidge",
                (
                    ("Ø3.5", "3.5"),
                    ("Ø4.0", "4.0"),
                    ("Ø4.5", "4.5"),
                    ("Ø5.0", "5.0"),
                    ("Ø5.5", "5.5"),
                    ("Ø6.0", "6.0"),
                ),
            ),
        ),
    ),
    (
        "BEGO",
        (
            (
                "Semados S",
                (
                    ("Ø3.25", "3.25"),
                    ("Ø3.75", "3.75"),
                    ("Ø4.1", "4.1"),
                    ("Ø4.5", "4.5"),
                    ("Ø5.5", "5.5"),
                ),
            ),
            (
                "Semados RSX",
                (
                    ("Ø3.0", "3.0"),
                    ("Ø3.75", "3.75"),
                    ("Ø4.1", "4.1"),
                    ("Ø4.5", "4.5"),
                    ("Ø5.5", "5.5"),
                ),
            ),
        ),
    ),
    (
        "Thommen Medical",
        (
            (
                "SPI Element",
                (
                    ("Ø3.5", "3.5"),
                    ("Ø4.0", "4.0"),
                    ("Ø4.5", "4.5"),
                    ("Ø5.0", "5.0"),
                    ("Ø6.0", "6.0"),
                ),
            ),
        ),
    ),
    (
        "Sweden & Martina",
        (
            ("Premium", (("Ø3.3", "3.3"), ("Ø3.8", "3.8"), ("Ø4.25", "4.25"), ("Ø5.0", "5.0"))),
            ("Prama", (("Ø3.8", "3.8"), ("Ø4.25", "4.25"), ("Ø5.0", "5.0"))),
        ),
    ),
)


def seed(manufacturer_model, system_model, platform_model) -> None:
    """Add the catalogue to the shared library (idempotent); the models are passed in so that the
    data migration can use its historical ones."""
    from decimal import Decimal

    for maker_name, systems in CATALOGUE:
        maker, _created = manufacturer_model.objects.get_or_create(
            name=maker_name, organization=None
        )
        for system_name, platforms in systems:
            system, _created = system_model.objects.get_or_create(
                manufacturer=maker, name=system_name, organization=None
            )
            for platform_name, diameter in platforms:
                platform_model.objects.get_or_create(
                    system=system,
                    name=platform_name,
                    organization=None,
                    defaults={"diameter": Decimal(diameter) if diameter else None},
                )
