"""The import service on a real database: what a marketer's CSV turns into."""
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.factories import an_import, an_upload
from webapp.audience import importer
from webapp.audience.csvfiles import UnreadableFile
from webapp.audience.models import Contact, ContactImport, ListMembership, TargetList
from webapp.extensions import db


def contact(email):
    return db.session.scalar(select(Contact).where(Contact.email == email))


def rejected(contact_import):
    return [(line, reason) for line, _, reason in importer.rejected_rows(contact_import)]


def test_headers_are_guessed_to_fields_and_unknown_ones_become_custom_fields():
    headers = ["E-mail Address", "First Name", "Surname", "Organisation", "Favourite Colour", "Column 6"]
    assert importer.guess_fields(headers, []) == ["email", "first_name", "last_name", "company", "custom", "custom"]
    assert importer.resolved_columns(headers[3:5], ["company", "custom"]) == ["company", "custom:favourite_colour"]


def test_an_email_column_is_found_by_its_values_when_no_header_names_it():
    assert importer.guess_fields(["Who", "Contact"], [["Ann", "ann@example.com"], ["Bo", "bo@example.com"]]) == ["custom", "email"]


def test_import_creates_contacts_with_names_company_status_activity_and_custom_fields(app, ctx):
    result = an_import("Email,First Name,Last Name,Company,Status,Last activity,Plan\n"
                      "Ann@Example.com,Ann,Lee,Acme,unsubscribed,2024-05-01 10:30,gold\n"
                      "bo@example.com,Bo,,,,,\n")
    assert (result.state, result.processed_rows, result.created_count, result.updated_count, result.error_count) == ("done", 2, 2, 0, 0)
    ann = contact("ann@example.com")
    assert (ann.first_name, ann.last_name, ann.company, ann.status) == ("Ann", "Lee", "Acme", "unsubscribed")
    assert ann.last_activity_at == datetime(2024, 5, 1, 10, 30)
    assert ann.custom_fields == {"plan": "gold"}
    assert contact("bo@example.com").status == "active" and contact("bo@example.com").custom_fields == {}


def test_reimport_updates_by_email_keeps_data_for_empty_cells_and_merges_custom_fields(app, ctx):
    an_import("email,first name,company,plan,city\nann@example.com,Ann,Acme,gold,Oslo\n")
    result = an_import("EMAIL,First name,Company,plan,team\nANN@example.com,Annie,,silver,blue\nnew@example.com,New,,,\n")
    assert (result.created_count, result.updated_count) == (1, 1)
    ann = contact("ann@example.com")
    assert (ann.first_name, ann.company) == ("Annie", "Acme")
    assert ann.custom_fields == {"plan": "silver", "city": "Oslo", "team": "blue"}
    assert db.session.scalar(select(db.func.count()).select_from(Contact)) == 2


def test_an_import_marks_people_unsubscribed_but_never_reactivates_them(app, ctx):
    an_import("email,status\nann@example.com,bounced\nbo@example.com,active\n")
    an_import("email,status\nann@example.com,active\nbo@example.com,Unsubscribed\n")
    assert contact("ann@example.com").status == "bounced"
    assert contact("bo@example.com").status == "unsubscribed"


def test_imported_contacts_join_a_new_list_and_existing_memberships_keep_their_opt_out(app, ctx):
    first = an_import("email\nann@example.com\nbo@example.com\n", new_list_name="Newsletter")
    newsletter = db.session.scalar(select(TargetList).where(TargetList.name == "Newsletter"))
    assert first.target_list_id == newsletter.id
    membership = db.session.get(ListMembership, (newsletter.id, contact("ann@example.com").id))
    membership.opted_out_at = datetime(2024, 1, 1)
    db.session.commit()
    an_import("email\nann@example.com\ncy@example.com\n", target_list_id=newsletter.id)
    members = db.session.scalars(select(ListMembership).where(ListMembership.list_id == newsletter.id)).all()
    assert len(members) == 3
    assert db.session.get(ListMembership, (newsletter.id, contact("ann@example.com").id)).opted_out_at == datetime(2024, 1, 1)


def test_good_rows_import_while_bad_rows_are_reported_with_their_line_and_reason(app, ctx):
    result = an_import("email,first_name\nann@example.com,Ann\nnot-an-email,X\n,Nobody\nbo@example.com,Bo\nANN@example.com,Again\n"
                      "cy@printer.local,Cy\n")
    assert (result.processed_rows, result.created_count, result.error_count) == (6, 2, 4)
    assert rejected(result) == [
        (3, "invalid email: An email address must have an @-sign."),
        (4, "empty email"),
        (6, "duplicate of line 2 in this file, with different values"),
        (7, "invalid email: The part after the @-sign is a special-use or reserved name that cannot be used with email."),
    ]
    assert contact("ann@example.com").first_name == "Ann"  # the first occurrence wins


def test_line_numbers_count_physical_lines_when_quoted_cells_hold_newlines(app, ctx):
    result = an_import('email,note\nann@example.com,"two\nlines"\nbad,x\r\nbo@example.com,"a\r\nb\r\nc"\nworse,y\n')
    assert rejected(result) == [(4, "invalid email: An email address must have an @-sign."),
                                (8, "invalid email: An email address must have an @-sign.")]
    assert contact("ann@example.com").custom_fields == {"note": "two\nlines"}


def test_missing_trailing_cells_are_empty_fields_but_extra_filled_cells_are_rejected(app, ctx):
    result = an_import("email,first_name,last_name\nann@example.com,Ann\nbo@example.com,Bo,Lee,extra\ncy@example.com,Cy,Lee,,\n"
                      "dee@example.com\n")
    assert rejected(result) == [(3, "This row has 4 cells but the header has 3.")]
    assert (contact("ann@example.com").first_name, contact("ann@example.com").last_name) == ("Ann", "")
    assert contact("cy@example.com").last_name == "Lee"
    assert contact("dee@example.com") is not None


def test_the_cell_count_reads_as_english_for_one_cell(app, ctx):
    result = an_import("a,b,c,d\nann@example.com,x,,,y\n", fields=["email", "ignore", "ignore", "ignore"])
    assert rejected(result) == [(2, "This row has 5 cells but the header has 4.")]
    assert importer._RowParser(["email"], ["email"]).parse(2, ["", "x"])[1] == "This row has 2 cells but the header has 1."


def test_exact_repeats_count_as_duplicates_and_conflicting_repeats_are_rejected(app, ctx):
    result = an_import("email,first_name\nann@example.com,Ann\nann@example.com,Ann\nbo@example.com,Bo\nANN@example.com,Anna\n")
    assert (result.processed_rows, result.created_count, result.duplicate_count, result.error_count) == (4, 2, 1, 1)
    assert rejected(result) == [(5, "duplicate of line 2 in this file, with different values")]


def test_an_unbalanced_quote_costs_its_line_and_the_rows_after_it_import(app, ctx):
    rows = "".join(f"p{i}@example.com,P{i}\n" for i in range(50))
    result = an_import('email,first_name\nann@example.com,"Ann\n' + rows + 'bo@example.com,"Bo"x\ncy@example.com,Cy\n')
    assert (result.processed_rows, result.created_count, result.error_count) == (53, 51, 2)
    assert rejected(result) == [
        (2, "A quote in this line is never closed, so the rows after it would have run into one cell."),
        (53, "A quote in this line is not where CSV allows one (',' expected after '\"')."),
    ]
    assert contact("p49@example.com").first_name == "P49"


def test_a_quote_that_swallows_more_than_the_record_limit_is_reported_not_imported_as_one_cell(app, ctx):
    rows = "".join(f"person{i}@example.com,\"text\n" if i == 0 else f"person{i}@example.com,{'x' * 50}\n" for i in range(2000))
    result = an_import("email,note\n" + rows)
    assert result.error_count == 1 and result.created_count == 1999
    assert rejected(result)[0][0] == 2


def test_oversized_cells_and_too_many_columns_are_refused_with_a_reason(app, ctx):
    result = an_import("email,note\nann@example.com," + "x" * 10_001 + "\nbo@example.com,short\n")
    assert rejected(result) == [(2, "a cell is longer than 10,000 characters")]
    with pytest.raises(UnreadableFile, match="The file has 201 columns; an import takes at most 200"):
        an_upload("email," + ",".join(f"c{i}" for i in range(200)) + "\nann@example.com\n")


def test_unknown_status_bad_date_and_overlong_names_are_explained(app, ctx):
    result = an_import("email,status,last activity,first name\na@example.com,vip,,\nb@example.com,,yesterday,\n"
                      f"c@example.com,,,{'x' * 201}\n")
    assert [reason for _, reason in rejected(result)] == [
        "unknown status “vip” (use active, unsubscribed, bounced, complained)",
        "last activity “yesterday” is not a date (use YYYY-MM-DD or YYYY-MM-DD HH:MM)",
        "first name is longer than 200 characters",
    ]


def test_work_is_committed_chunk_by_chunk_with_correct_totals(app, ctx):
    rows = "".join(f"p{i}@example.com\n" for i in range(7))
    an_import("email\np0@example.com\n")
    result = an_import("email\n" + rows + "bad\n", chunk_rows=2, new_list_name="Seven")
    assert (result.processed_rows, result.created_count, result.updated_count, result.error_count) == (8, 6, 1, 1)
    assert db.session.scalar(select(db.func.count()).select_from(ListMembership)) == 7


def test_error_csv_has_original_columns_line_and_reason_and_is_safe_in_spreadsheets(app, ctx):
    result = an_import("email,first_name\n=HYPERLINK(\"http://x\"),@SUM(1)\nann@example.com,Ann\n-bad,+1\n")
    text = Path(result.errors_path).read_text(encoding="utf-8-sig")
    assert text.splitlines() == [
        "email,first_name,line,error",
        "\"'=HYPERLINK(\"\"http://x\"\")\",'@SUM(1),2,invalid email: An email address must have an @-sign.",
        "'-bad,'+1,4,invalid email: An email address must have an @-sign.",
    ]


@pytest.mark.parametrize("data, encoding, delimiter, warning", [
    ("\ufeffEmail;Vorname\r\nanna@example.com;Jörg\r\n".encode("utf-8"), "utf-8-sig", ";", None),
    ("Email\tVorname\r\nanna@example.com\tJörg\r\n".encode("utf-16"), "utf-16", "\t", None),
    ("Email,Vorname\nanna@example.com,Jörg\n".encode("cp1252"), "cp1252", ",", "Windows-1252"),
    (b"Email,Vorname\nanna@example.com,J\x81rg\xf6\n", "latin-1", ",", "Latin-1"),
])
def test_encodings_and_delimiters_are_detected_and_a_fallback_is_announced(app, ctx, data, encoding, delimiter, warning):
    contact_import = an_upload(data)
    csv_format = importer.csv_format_of(contact_import)
    assert (csv_format.encoding, csv_format.delimiter) == (encoding, delimiter)
    assert (warning is None and csv_format.warning is None) or warning in csv_format.warning
    assert contact_import.mapping["headers"] == ["Email", "Vorname"]  # no BOM left on the first header
    importer.start_import(contact_import, ["email", "first_name"])
    importer.run_import(contact_import.id)
    assert contact("anna@example.com").first_name.startswith("J")
    if encoding != "latin-1":
        assert contact("anna@example.com").first_name == "Jörg"


@pytest.mark.parametrize("data, message", [
    (b"", "The file is empty."),
    (b"\n\n  \n", "The file is empty."),
    (b"email,first_name\n", "The file has a header row but no contacts below it."),
    (b"PK\x03\x04\x14\x00\x00\x00\x08\x00binary", "it contains binary data"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "it contains binary data"),
])
def test_unusable_uploads_are_refused_with_a_reason_and_not_kept(app, ctx, data, message):
    stored_before = set(Path(app.config["UPLOAD_DIR"]).glob("*"))
    with pytest.raises(UnreadableFile, match=message):
        an_upload(data)
    assert db.session.scalar(select(db.func.count()).select_from(ContactImport)) == 0
    assert set(Path(app.config["UPLOAD_DIR"]).glob("*")) == stored_before


def test_a_ten_megabyte_file_imports_in_one_streaming_pass(app, ctx):
    lines = [f"person{i}@example.com,First{i},Last{i},Company number {i}" for i in range(180_000)]
    content = "email,first_name,last_name,company\n" + "\n".join(lines) + "\n"
    assert len(content) > 10_000_000
    result = an_import(content)
    assert (result.state, result.created_count, result.error_count) == ("done", 180_000, 0)


def test_a_vanished_upload_fails_the_import_with_the_reason(app, ctx):
    contact_import = an_upload("email\nann@example.com\n")
    importer.start_import(contact_import, ["email"])
    Path(contact_import.stored_path).unlink()
    importer.run_import(contact_import.id)
    db.session.expire_all()
    failed = db.session.get(ContactImport, contact_import.id)
    assert failed.state == "failed" and "could not be read" in failed.failure and failed.finished_at

