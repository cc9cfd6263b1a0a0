"""Exporting the contacts a marketer is looking at as a CSV a spreadsheet can open safely."""
import csv
import io
from datetime import datetime

from tests.factories import a_contact
from webapp.audience.export import safe_cell


def add(email, first="", company="", **custom):
    """A contact created at a known moment (the export's created_at column shows it)."""
    a_contact(email, first, company=company, created_at=datetime(2025, 3, 4, 5, 6, 7), **custom)


def export(client, query=""):
    response = client.get(f"/contacts/export.csv{query}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    return list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))


def test_export_has_fixed_columns_then_one_per_custom_field(marketer_client, ctx):
    add("ada@analytical.org", "Ada", "Analytical Engines", city="London")
    add("alan@bletchley.uk", "Alan", plan="pro")
    header, *rows = export(marketer_client)
    assert header == ["email", "first_name", "last_name", "company", "status", "last_activity_at", "created_at", "city", "plan"]
    assert rows == [
        ["ada@analytical.org", "Ada", "", "Analytical Engines", "active", "", "2025-03-04 05:06:07", "London", ""],
        ["alan@bletchley.uk", "Alan", "", "", "active", "", "2025-03-04 05:06:07", "", "pro"],
    ]


def test_export_follows_the_search_and_status_filter(marketer_client, ctx):
    add("ada@analytical.org", "Ada", city="London")
    add("alan@bletchley.uk", "Alan", plan="pro")
    header, *rows = export(marketer_client, "?q=alan&status=active")
    assert [row[0] for row in rows] == ["alan@bletchley.uk"]
    assert header[-1] == "plan" and "city" not in header  # only fields the matches use
    assert export(marketer_client, "?q=alan&status=bounced")[1:] == []


def test_export_neutralises_spreadsheet_formulas(marketer_client, ctx):
    hostile = ["=HYPERLINK(\"http://evil\")", "+1+1", "-2+3", "@SUM(A1)", "\tTAB", "\rCR"]
    add("eve@example.com", hostile[0], hostile[1], **{"note": hostile[2], "x": hostile[3], "y": hostile[4], "z": hostile[5]})
    header, row = export(marketer_client)
    values = dict(zip(header, row))
    assert values["first_name"] == "'" + hostile[0]
    assert values["company"] == "'" + hostile[1]
    assert [values[k] for k in ("note", "x", "y", "z")] == ["'" + v for v in hostile[2:]]
    assert values["email"] == "eve@example.com"  # harmless cells are untouched


def test_safe_cell_leaves_ordinary_values_alone():
    assert safe_cell("Ada") == "Ada"
    assert safe_cell(None) == ""
    assert safe_cell(42) == "42"
    assert safe_cell("-") == "'-"


def test_export_streams_in_chunks_past_the_chunk_size(marketer_client, ctx, monkeypatch):
    from webapp.audience import export as export_module

    monkeypatch.setattr(export_module, "CHUNK", 3)
    for n in range(10):
        add(f"p{n}@example.com")
    rows = export(marketer_client)[1:]
    assert [row[0] for row in rows] == [f"p{n}@example.com" for n in range(10)]


def test_export_starts_with_a_utf8_byte_order_mark_so_spreadsheets_show_accents(marketer_client, ctx):
    add("zoe@example.com", "Zoë")
    data = marketer_client.get("/contacts/export.csv").get_data()
    assert data.startswith(b"\xef\xbb\xbfemail,")
    assert list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))[1][1] == "Zoë"


def test_the_database_makes_cells_safe_exactly_as_safe_cell_does(ctx):
    from sqlalchemy import literal, select

    from webapp.audience.export import safe_cell_sql, seconds_sql
    from webapp.extensions import db

    texts = ["Ada", "=SUM(A1)", "+1 555", "-x", "@home", "\tTab", "\rCR", "a=b", "", "Zoë"]
    for text in texts:
        assert db.session.scalar(select(safe_cell_sql(literal(text)))) == safe_cell(text), text
    moment = datetime(2026, 6, 1, 9, 5, 7, 123456)
    assert db.session.scalar(select(seconds_sql(literal(moment)))) == safe_cell(moment) == "2026-06-01 09:05:07"
