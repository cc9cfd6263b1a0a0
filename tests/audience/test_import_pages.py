"""The import pages as a marketer uses them: upload, map, start, watch, read the result, download the rejects."""
import io
import re

from sqlalchemy import select

from webapp.audience import importer
from webapp.audience.models import ContactImport, TargetList
from webapp.extensions import db

CSV = "E-mail Address,First Name,Organisation,Favourite Colour\nann@example.com,Ann,Acme,red\nbad-address,Bo,,\n=cmd@x,Cy,,\n"


def post_file(client, content, name="people.csv"):
    data = content.encode() if isinstance(content, str) else content
    return client.post("/imports", data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def uploaded_id(response):
    return int(re.search(r"/imports/(\d+)$", response.headers["Location"]).group(1))


def mapping(**overrides):
    fields = {"columns-0": "email", "columns-1": "first_name", "columns-2": "company", "columns-3": "custom",
              "target_list": "None", "new_list_name": ""}
    return {**fields, **overrides}


def test_imports_page_shows_upload_form_and_an_empty_state(marketer_client):
    page = marketer_client.get("/imports").get_data(as_text=True)
    assert 'type="file"' in page and "autofocus" in page and "No imports yet" in page


def test_upload_leads_to_a_mapping_step_with_guessed_columns_and_a_preview(marketer_client, app):
    response = post_file(marketer_client, CSV)
    assert response.status_code == 303
    page = marketer_client.get(f"/imports/{uploaded_id(response)}").get_data(as_text=True)
    selected = re.findall(r'<select[^>]*name="(columns-\d)".*?<option selected value="(\w+)"', page, re.S)
    assert selected == [("columns-0", "email"), ("columns-1", "first_name"), ("columns-2", "company"), ("columns-3", "custom")]
    assert "Preview of the first 3 rows" in page and "bad-address" in page
    with app.app_context():
        assert db.session.get(ContactImport, uploaded_id(response)).state == "uploaded"


def test_uploads_that_cannot_be_imported_are_refused_with_the_reason(marketer_client):
    for content, reason in [("", "The file is empty."), ("email\n", "header row but no contacts"),
                            (b"\x00\x01binary\x00", "binary data")]:
        response = post_file(marketer_client, content)
        assert response.status_code == 422
        assert reason in response.get_data(as_text=True)
    assert "Choose a CSV file" in marketer_client.post("/imports", data={}).get_data(as_text=True)


def test_a_file_over_the_size_limit_gets_a_clear_413_page(marketer_client, app):
    app.config["MAX_CONTENT_LENGTH"], limit = 1024 * 1024, app.config["MAX_CONTENT_LENGTH"]
    try:
        response = post_file(marketer_client, "email\n" + "x@example.com\n" * 100_000)
    finally:
        app.config["MAX_CONTENT_LENGTH"] = limit
    assert response.status_code == 413
    assert "larger than the 1 MB upload limit" in response.get_data(as_text=True)
    assert limit >= 64 * 1024 * 1024


def test_mapping_requires_an_email_column(marketer_client, app):
    import_id = uploaded_id(post_file(marketer_client, CSV))
    response = marketer_client.post(f"/imports/{import_id}", data=mapping(**{"columns-0": "ignore"}), htmx=True)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "missing email column" in body and "<html" not in body
    with app.app_context():
        assert db.session.get(ContactImport, import_id).state == "uploaded"


def test_mapping_refuses_a_field_chosen_twice_and_an_existing_list_name(marketer_client, app):
    with app.app_context():
        db.session.add(TargetList(name="Customers"))
        db.session.commit()
    import_id = uploaded_id(post_file(marketer_client, CSV))
    body = marketer_client.post(f"/imports/{import_id}", data=mapping(**{"columns-2": "first_name"})).get_data(as_text=True)
    assert "Only one column can be “First name”" in body
    body = marketer_client.post(f"/imports/{import_id}", data=mapping(new_list_name="customers")).get_data(as_text=True)
    assert "A list named “customers” already exists" in body


def test_starting_queues_the_job_and_shows_a_polling_progress_fragment(marketer_client, app):
    import_id = uploaded_id(post_file(marketer_client, CSV))
    response = marketer_client.post(f"/imports/{import_id}", data=mapping(new_list_name="Fair 2025"), htmx=True)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert 'id="import-status"' in body and 'hx-trigger="load delay:500ms"' in body and "<progress" in body
    with app.app_context():
        from webapp.common.queues import queue

        assert queue("imports").job_ids and db.session.get(ContactImport, import_id).state == "queued"
        assert db.session.scalar(select(TargetList.name)) == "Fair 2025"
    poll = marketer_client.get(f"/imports/{import_id}", htmx=True)
    assert poll.status_code == 200 and "hx-get" in poll.get_data(as_text=True)


def test_finished_import_answers_286_with_counts_rejected_rows_and_a_safe_error_csv(marketer_client, app):
    import_id = uploaded_id(post_file(marketer_client, CSV))
    marketer_client.post(f"/imports/{import_id}", data=mapping())
    with app.app_context():
        importer.run_import(import_id)  # what the worker does; the worker itself is tested in test_import_job.py
    poll = marketer_client.get(f"/imports/{import_id}", htmx=True)
    assert poll.status_code == 286
    body = poll.get_data(as_text=True)
    assert "hx-get" not in body and "rows rejected" in body
    assert re.search(r"<strong>1</strong><span>contacts created", body) and re.search(r"<strong>2</strong><span>rows rejected", body)
    assert "An email address must have an @-sign." in body and ">3</td>" in body
    download = marketer_client.get(f"/imports/{import_id}/errors.csv")
    assert download.status_code == 200 and download.mimetype == "text/csv"
    assert "people-rejected.csv" in download.headers["Content-Disposition"]
    lines = download.get_data().decode("utf-8-sig").splitlines()
    assert lines[0] == "E-mail Address,First Name,Organisation,Favourite Colour,line,error"
    assert lines[2].startswith("'=cmd@x,Cy,,,4,")
    listing = marketer_client.get("/imports").get_data(as_text=True)
    assert "people.csv" in listing and "badge-done" in listing and "Marketer" in listing


def test_full_page_of_a_finished_import_is_a_normal_page(marketer_client, app):
    import_id = uploaded_id(post_file(marketer_client, CSV))
    marketer_client.post(f"/imports/{import_id}", data=mapping())
    with app.app_context():
        importer.run_import(import_id)
    page = marketer_client.get(f"/imports/{import_id}")
    assert page.status_code == 200 and "<html" in page.get_data(as_text=True)


def test_import_pages_need_a_login(client):
    assert client.get("/imports").status_code == 302
    assert post_file(client, CSV).status_code in (302, 400)


def test_the_mapping_names_the_contact_field_each_column_becomes(marketer_client):
    page = marketer_client.get(f"/imports/{uploaded_id(post_file(marketer_client, CSV))}").get_data(as_text=True)
    assert re.findall(r'<code class="small becomes">([\w.]+)</code>', page) == [
        "contact.email", "contact.first_name", "contact.company", "contact.favourite_colour"]
    assert "Custom field “favourite_colour”" in page


def test_custom_fields_are_capped_per_import_and_in_total(marketer_client, app, monkeypatch):
    wide = "email," + ",".join(f"c{i}" for i in range(60)) + "\nann@example.com" + ",x" * 60 + "\n"
    import_id = uploaded_id(post_file(marketer_client, wide))
    fields = {"columns-0": "email", **{f"columns-{i}": "custom" for i in range(1, 61)}, "target_list": "None", "new_list_name": ""}
    response = marketer_client.post(f"/imports/{import_id}", data=fields)
    assert response.status_code == 422
    assert "60 columns would become custom fields; an import can add at most 50" in response.get_data(as_text=True)

    from tests.factories import a_contact
    from webapp.audience import import_forms

    monkeypatch.setattr(import_forms, "MAX_CUSTOM_FIELDS", 3)
    with app.app_context():
        a_contact("old@example.com", "Old", plan="pro", city="Bonn")
    import_id = uploaded_id(post_file(marketer_client, CSV))
    body = marketer_client.post(f"/imports/{import_id}", data=mapping()).get_data(as_text=True)
    assert "Contacts already have 2 custom fields and this import would add 1 more; at most 3" not in body  # 3 is allowed
    import_id = uploaded_id(post_file(marketer_client, "email,plan,team,size\nann@example.com,a,b,c\n"))
    fields = {"columns-0": "email", "columns-1": "custom", "columns-2": "custom", "columns-3": "custom",
              "target_list": "None", "new_list_name": ""}
    response = marketer_client.post(f"/imports/{import_id}", data=fields)
    assert response.status_code == 422
    assert "Contacts already have 2 custom fields and this import would add 2 more; at most 3" in response.get_data(as_text=True)
