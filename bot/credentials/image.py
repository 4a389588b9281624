"""The certificate as a PNG and a PDF, drawn once with matplotlib's Agg backend (object API, no
pyplot state), landscape A4 at 150 dpi: 1754×1240 pixels."""

from __future__ import annotations

import io
from dataclasses import dataclass

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from bot.credentials.codes import CertificateFields

DPI = 150
PIXELS = (1754, 1240)
SIZE_IN = (PIXELS[0] / DPI, PIXELS[1] / DPI)
INK = "#1f2d3d"
ACCENT = "#3b6ea8"


CODE_GROUPS_PER_ROW = 10


def _fit(text: str, size: float, chars: int) -> float:
    """A font size that keeps `text` inside the border: full size up to `chars` characters."""
    return size if len(text) <= chars else max(10.0, size * chars / len(text))


@dataclass(frozen=True)
class Certificate:
    fields: CertificateFields
    code: str
    png: bytes
    pdf: bytes


def render(fields: CertificateFields, code: str) -> Certificate:
    figure = Figure(figsize=SIZE_IN, dpi=DPI)
    FigureCanvasAgg(figure)
    figure.patch.set_facecolor("white")
    for inset, width in ((0.025, 6.0), (0.04, 1.5)):
        figure.add_artist(
            Rectangle(
                (inset, inset * 1.41),
                1 - 2 * inset,
                1 - 2 * inset * 1.41,
                transform=figure.transFigure,
                fill=False,
                edgecolor=ACCENT,
                linewidth=width,
            )
        )
    lines = (
        (0.80, "Certificate of completion", 34, "bold", ACCENT),
        (0.68, "This certifies that", 18, "normal", INK),
        (0.57, fields.name, _fit(fields.name, 40, 30), "bold", INK),
        (0.46, "has passed the module test of", 18, "normal", INK),
        (0.37, fields.module, _fit(fields.module, 28, 44), "bold", INK),
        (0.275, f"on {fields.issued:%-d %B %Y}", 18, "normal", INK),
    )
    for y, text, size, weight, colour in lines:
        figure.text(0.5, y, text, ha="center", va="center", fontsize=size, fontweight=weight, color=colour)
    groups = code.split("-")
    rows = ["-".join(groups[i : i + CODE_GROUPS_PER_ROW]) for i in range(0, len(groups), CODE_GROUPS_PER_ROW)]
    figure.text(
        0.5, 0.205, "Verification code (check it with `tutorbot verify`)", ha="center", fontsize=11, color=INK
    )
    figure.text(0.5, 0.19, "\n".join(rows), ha="center", va="top", fontsize=11, family="monospace", color=INK)
    metadata = {"Title": f"Certificate: {fields.name} · {fields.module}", "Subject": code}
    png = io.BytesIO()
    figure.savefig(png, format="png", dpi=DPI, metadata={**metadata, "Verification code": code})
    pdf = io.BytesIO()
    figure.savefig(pdf, format="pdf", metadata=metadata)
    return Certificate(fields=fields, code=code, png=png.getvalue(), pdf=pdf.getvalue())
