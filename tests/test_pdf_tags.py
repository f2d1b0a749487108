"""The pikepdf repair of LibreOffice's tagged PDF, on a small PDF built the way LibreOffice 7.4
writes it: the chart image painted as an artifact, its /Figure element empty."""

from __future__ import annotations

from pathlib import Path

import pikepdf
import pytest

from kik_core.report._pdf_tags import check_pdf, repair_tags


def libreoffice_like_pdf(path: Path, *, scope: bool = True) -> Path:
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(200, 200))
    page = pdf.pages[0]
    image = pdf.make_stream(
        b"\xff\x00\x00",
        Type=pikepdf.Name.XObject,
        Subtype=pikepdf.Name.Image,
        Width=1,
        Height=1,
        ColorSpace=pikepdf.Name.DeviceRGB,
        BitsPerComponent=8,
    )
    page.obj.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im1=image))
    page.obj.Contents = pdf.make_stream(
        b"/P <</MCID 0>> BDC BT ET EMC\n/Artifact BMC q 100 0 0 100 50 50 cm /Im1 Do Q EMC\n"
    )
    page.obj.StructParents = 0
    figure = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.StructElem,
            S=pikepdf.Name.Figure,
            Alt=pikepdf.String("Kreisdiagramm: 7 implementiert"),
            Pg=page.obj,
        )
    )
    paragraph = pdf.make_indirect(
        pikepdf.Dictionary(Type=pikepdf.Name.StructElem, S=pikepdf.Name.P, Pg=page.obj, K=0)
    )
    header = pikepdf.Dictionary(Type=pikepdf.Name.StructElem, S=pikepdf.Name.TH)
    if scope:
        header.A = pikepdf.Dictionary(O=pikepdf.Name.Table, Scope=pikepdf.Name.Column)
    row = pikepdf.Dictionary(Type=pikepdf.Name.StructElem, S=pikepdf.Name.TR, K=[header])
    table = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.StructElem,
            S=pikepdf.Name.Table,
            A=pikepdf.Dictionary(O=pikepdf.Name.Layout),
            K=[row],
        )
    )
    document = pikepdf.Dictionary(
        Type=pikepdf.Name.StructElem, S=pikepdf.Name.Document, K=[paragraph, figure, table]
    )
    pdf.Root.StructTreeRoot = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.StructTreeRoot,
            K=document,
            ParentTree=pikepdf.Dictionary(Nums=[0, pikepdf.Array([paragraph])]),
        )
    )
    pdf.Root.MarkInfo = pikepdf.Dictionary(Marked=True)
    pdf.Root.Lang = pikepdf.String("de-DE")
    pdf.Root.ViewerPreferences = pikepdf.Dictionary(DisplayDocTitle=True)
    pdf.docinfo["/Title"] = "Bericht"
    pdf.save(path)
    return path


def test_the_figure_gets_its_image_as_content(tmp_path: Path) -> None:
    path = libreoffice_like_pdf(tmp_path / "lo.pdf")
    assert check_pdf(path) == [("Abbildung 1", "Die Abbildung hat keinen Inhalt.")]
    repaired = repair_tags(
        path,
        [("Umsetzungsstand", "3 Handlungsfelder mit Status")],
        title="Musterstadt: KIK-Zwischenbericht Oktober 2024",
    )
    assert repaired == 1
    assert check_pdf(path) == []
    with pikepdf.open(path) as pdf:
        page = pdf.pages[0]
        operations = list(pikepdf.parse_content_stream(page))
        marks = [(str(o[0]), o[1]) for o, op in operations if str(op) in ("BDC", "BMC")]
        assert marks[1][0] == "/Figure"
        assert int(marks[1][1].MCID) == 1  # after the paragraph's MCID 0
        assert "/Artifact" not in [m[0] for m in marks]
        root = pdf.Root.StructTreeRoot
        figure = root.K.K[1]
        assert int(figure.K) == 1
        parents = root.ParentTree.Nums[1]
        assert parents[1].objgen == figure.objgen
        table = root.K.K[2]
        assert str(table.T) == "Umsetzungsstand"
        assert [str(a.get("/Summary", "")) for a in table.A] == ["", "3 Handlungsfelder mit Status"]
        assert str(pdf.docinfo["/Title"]) == "Musterstadt: KIK-Zwischenbericht Oktober 2024"
    assert repair_tags(path) == 0  # nothing left to repair


def test_table_summaries_only_when_the_tables_match(tmp_path: Path) -> None:
    path = libreoffice_like_pdf(tmp_path / "lo.pdf")
    repair_tags(path, [("eins", "a"), ("zwei", "b")])
    with pikepdf.open(path) as pdf:
        assert "/T" not in pdf.Root.StructTreeRoot.K.K[2]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("scope", "Eine Kopfzelle hat keinen Bezug (/Scope)."),
        ("lang", "Die Dokumentsprache (/Lang) fehlt."),
        ("alt", "Die Abbildung hat keinen Alternativtext."),
    ],
)
def test_structure_check_names_each_problem(tmp_path: Path, change: str, message: str) -> None:
    path = libreoffice_like_pdf(tmp_path / "lo.pdf", scope=change != "scope")
    repair_tags(path)
    if change in ("lang", "alt"):
        with pikepdf.open(path, allow_overwriting_input=True) as pdf:
            if change == "lang":
                del pdf.Root["/Lang"]
            else:
                del pdf.Root.StructTreeRoot.K.K[1]["/Alt"]
            pdf.save(path)
    assert [m for _, m in check_pdf(path)] == [message]
