"""Every threshold of the prescription and fit rules, each with the optical guidance it comes from.

`RuleSettings` is a field of `optirec.settings.Settings` (`OPTIREC_RULES__<FIELD>` in the environment) and is passed
to the rules; the rules never build one themselves. `docs/eyewear.md` explains each value.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class RuleSettings(BaseModel):
    """Thresholds of the eyewear hard rules and of the soft fit score."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # --- prescription ----------------------------------------------------------------------------------------
    default_sphere_min: float = Field(
        -6.0, ge=-20, le=0,
        description="Lowest sphere (D) assumed for a prescription frame that lists no range: the stock "
        "single-vision range of about ±6.00 D that lens makers offer for any frame.",
    )  # fmt: skip
    default_sphere_max: float = Field(
        6.0, ge=0, le=20, description="Highest sphere (D) assumed for a prescription frame that lists no range."
    )
    default_cylinder_max: float = Field(
        2.0, ge=0, le=6,
        description="Largest cylinder (D) assumed for a prescription frame that lists none: stock lenses "
        "usually stop at −2.00 D cyl; beyond it lenses are surfaced to order.",
    )  # fmt: skip
    rimless_max_power: float = Field(
        4.0, ge=0, le=20,
        description="Largest meridian power (D, either sign) in a rimless (drilled) frame. Drill mounts need "
        "thin, even edges: lab rules of thumb keep drilled lenses (polycarbonate, Trivex, high index) "
        "within about ±4.00 D.",
    )  # fmt: skip
    semi_rimless_max_power: float = Field(
        6.0, ge=0, le=20,
        description="Largest meridian power (D, either sign) in a semi-rimless (nylon-cord) frame: the groove "
        "needs an edge of about 2 mm, which minus and plus lenses beyond ±6.00 D no longer give evenly.",
    )  # fmt: skip
    min_multifocal_height_mm: float = Field(
        28.0, ge=10, le=60,
        description="Smallest lens height (B, mm) for progressive or bifocal lenses: a standard progressive "
        "needs a fitting height of about 18 mm plus room above the pupil; lens makers quote a minimum "
        "frame B of about 28 mm (short-corridor designs go down to about 24 mm).",
    )  # fmt: skip
    # --- fit ---------------------------------------------------------------------------------------------------
    face_narrower_tolerance_mm: float = Field(
        6.0, ge=0, le=40,
        description="How much narrower than the face (temple to temple) the total frame may be: opticians "
        "match frame width to face width; a much narrower frame pinches and looks small.",
    )  # fmt: skip
    face_wider_tolerance_mm: float = Field(
        10.0, ge=0, le=40,
        description="How much wider than the face the total frame may be before it slides and overhangs.",
    )  # fmt: skip
    face_ideal_offset_mm: float = Field(
        2.0, ge=-20, le=20,
        description="Frame width minus face width that fits best (a frame a touch wider than the face).",
    )  # fmt: skip
    lens_edging_allowance_mm: float = Field(
        2.0, ge=0, le=10,
        description="Added when choosing a lens blank: minimum blank size = ED + 2 × decentration + 2 mm "
        "(the classic minimum-blank-size formula).",
    )  # fmt: skip
    effective_diameter_extra_mm: float = Field(
        4.0, ge=0, le=20,
        description="The frame's effective diameter (ED) is estimated as lens width + this: the longest "
        "diagonal of most shapes exceeds the box width by 2–6 mm.",
    )  # fmt: skip
    blank_diameter_low_mm: float = Field(
        75.0, ge=40, le=90,
        description="Lens blank diameter available for low powers (up to `blank_power_low`): stock "
        "single-vision blanks of 70–80 mm.",
    )  # fmt: skip
    blank_diameter_high_mm: float = Field(
        65.0, ge=40, le=90,
        description="Lens blank diameter available from `blank_power_high`: strong minus and plus lenses come "
        "in smaller blanks (60–65 mm, lenticular beyond), which limits decentration.",
    )  # fmt: skip
    blank_power_low: float = Field(
        4.0, ge=0, le=20, description="Power (D, either sign) up to which the large blank is made."
    )
    blank_power_high: float = Field(
        10.0, ge=0, le=20,
        description="Power (D, either sign) from which only the small blank is made; linear in between.",
    )  # fmt: skip
    horizontal_prism_tolerance: float = Field(
        0.67, ge=0, le=5,
        description="Unwanted horizontal prism allowed for the pair (Δ): ANSI Z80.1 tolerates 0.67Δ. "
        "Decentration the blank cannot absorb induces prism by Prentice's rule, "
        "prism = decentration (cm) × power (D).",
    )  # fmt: skip
    high_power_threshold: float = Field(
        6.0, ge=0, le=20,
        description="From this meridian power (D, either sign) large lenses are refused: strong minus edges "
        "and strong plus centres grow thick and heavy with the lens width.",
    )  # fmt: skip
    high_power_max_lens_width_mm: float = Field(
        54.0, ge=30, le=75,
        description="Widest lens (A, mm) accepted at high power; opticians steer strong prescriptions to small "
        "eye sizes close to the wearer's PD.",
    )  # fmt: skip
    fit_score_face_scale_mm: float = Field(
        6.0, gt=0, le=40, description="Width difference (mm) at which the face part of the fit score halves."
    )
    fit_score_pd_scale_mm: float = Field(
        4.0, gt=0, le=40, description="Decentration per eye (mm) at which the PD part of the fit score halves."
    )
    # --- categories ----------------------------------------------------------------------------------------------
    frame_categories: tuple[str, ...] = Field(
        ("eyeglasses", "sunglasses"), description="Categories whose products are frames; others pass every rule."
    )
    sun_categories: tuple[str, ...] = Field(
        ("sunglasses",),
        description="Categories of sunglasses: the prescription rules apply to them only when the shopper "
        "asks for prescription sunglasses.",
    )
