"""Templates and tracking URLs as a marketer uses them: list, editor, versions, live check, preview."""
import re

import pytest

from tests.compose.helpers import editor_form, versions
from tests.factories import a_contact, a_template, a_tracking_url
from webapp.compose.models import Template, TrackingUrl
from webapp.extensions import db

HTML = '<html><body><p>Hi {{ contact.first_name | default("there") }} from {{ contact.city }}</p>' \
       '<p><a href="https://shop.example.com/sale">Sale</a> <a href="{{ tracking_url("Pricing") }}">Prices</a></p></body></html>'


# --- list and create -------------------------------------------------------------------

def test_templates_page_has_an_empty_state_and_a_nav_link(marketer_client):
    page = marketer_client.get("/templates").get_data(as_text=True)
    assert "No templates yet" in page
    assert 'href="/templates"' in page and ">Templates</a>" in page
    assert 'href="/tracking-urls"' in page


def test_marketer_creates_a_template_and_lands_in_its_editor(app, marketer_client):
    response = marketer_client.post("/templates", data={"name": "Spring news"})
    assert response.status_code == 303
    editor = marketer_client.get(response.location).get_data(as_text=True)
    assert "Spring news" in editor and "Version 1" in editor
    listing = marketer_client.get("/templates").get_data(as_text=True)
    assert "Spring news" in listing and "v1" in listing and "Marketer" in listing


def test_template_names_are_unique(app, marketer_client):
    a_template("Spring news")
    response = marketer_client.post("/templates", data={"name": "spring NEWS"})
    assert response.status_code == 422
    assert "already exists" in response.get_data(as_text=True)


# --- save and versions -----------------------------------------------------------------

def test_saving_unchanged_content_keeps_the_version(app, marketer_client):
    template_id = a_template().id
    response = marketer_client.post(f"/templates/{template_id}", data=editor_form(), htmx=True)
    assert response.status_code == 200
    assert "still version 1" in response.get_data(as_text=True)
    assert versions(app, template_id) == [(1, "<p>Hello</p>")]


def test_saving_a_change_adds_a_version_and_keeps_the_old_content(app, marketer_client):
    template_id = a_template().id
    response = marketer_client.post(f"/templates/{template_id}", data=editor_form(html="<p>Hello again</p>"))
    assert response.status_code == 303
    assert versions(app, template_id) == [(1, "<p>Hello</p>"), (2, "<p>Hello again</p>")]
    assert "Saved as version 2" in marketer_client.get(response.location).get_data(as_text=True)


def test_renaming_alone_does_not_make_a_version(app, marketer_client):
    template_id = a_template().id
    marketer_client.post(f"/templates/{template_id}", data=editor_form(name="Summer news"))
    with app.app_context():
        template = db.session.get(Template, template_id)
        assert (template.name, template.version) == ("Summer news", 1)


def test_an_empty_text_part_is_stored_as_generated(app, marketer_client):
    template_id = a_template(text="old text").id
    marketer_client.post(f"/templates/{template_id}", data=editor_form(text="  \n"))
    with app.app_context():
        assert db.session.get(Template, template_id).text is None


def test_save_is_refused_with_422_while_the_template_has_a_syntax_error(app, marketer_client):
    template_id = a_template().id
    html = "<p>Hello</p>\n<p>{{ contact.first_name </p>"
    response = marketer_client.post(f"/templates/{template_id}", data=editor_form(html=html), htmx=True)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "Not saved" in body
    assert re.search(r"HTML, line 2</button>: syntax error", body)
    assert versions(app, template_id) == [(1, "<p>Hello</p>")]


def test_a_plain_form_post_with_problems_answers_the_whole_page_with_422(app, marketer_client):
    template_id = a_template().id
    response = marketer_client.post(f"/templates/{template_id}", data=editor_form(subject="Hi {{ contact.first_name"))
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "<html" in body and "Subject, line 1</button>: syntax error" in body


def test_an_unknown_placeholder_is_shown_with_its_line(app, marketer_client):
    template_id = a_template().id
    response = marketer_client.post(f"/templates/{template_id}/render", htmx=True,
                                    data=editor_form(html="<p>a</p>\n<p>b</p>\n<p>{{ coupon_code }}</p>"))
    body = response.get_data(as_text=True)
    assert 'id="problems" class="problems" aria-live="polite" hx-swap-oob="true"' in body
    assert re.search(r"HTML, line 3</button>: unknown placeholder &#39;coupon_code&#39;", body)


def test_custom_fields_of_contacts_are_known_and_others_are_not(app, marketer_client):
    a_contact("ann@example.org", "Ann", city="Oslo")
    a_tracking_url()
    template_id = a_template().id
    known = marketer_client.post(f"/templates/{template_id}/render", data=editor_form(html=HTML), htmx=True)
    assert "No problems found" in known.get_data(as_text=True)
    unknown = marketer_client.post(f"/templates/{template_id}/render", htmx=True,
                                   data=editor_form(html="{{ contact.shoe_size }} {{ tracking_url('Nope') }}"))
    body = unknown.get_data(as_text=True)
    assert "unknown contact field &#39;shoe_size&#39;" in body
    assert "unknown tracking URL &#39;Nope&#39;" in body


# --- preview ---------------------------------------------------------------------------

def test_preview_renders_the_chosen_contact_in_a_sandboxed_document(app, marketer_client):
    a_tracking_url()
    a_contact("bob@example.org", "Bob", city="Bergen")
    ann = a_contact("ann@example.org", "Ann", city="Oslo").id
    template_id = a_template(html=HTML).id
    response = marketer_client.get(f"/templates/{template_id}/preview?contact={ann}")
    policy = dict((directive + " ").split(" ", 1) for directive in response.headers["Content-Security-Policy"].split("; "))
    assert policy == {"default-src": "'none' ", "img-src": "* data: ", "style-src": "'unsafe-inline' ",
                      "frame-ancestors": "'self' ", "sandbox": " "}
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
    html = response.get_data(as_text=True)
    assert "Hi Ann from Oslo" in html
    # Links as the template writes them: the real destinations, no click tokens, no pixel.
    assert 'href="https://shop.example.com/sale"' in html and 'href="https://example.com/pricing"' in html
    assert "/t/c/" not in html and "/t/o/" not in html
    assert "Unsubscribe" in html  # the opt-out footer the send will add


def test_editor_iframe_is_sandboxed_without_scripts_or_same_origin(app, marketer_client):
    template_id = a_template().id
    page = marketer_client.get(f"/templates/{template_id}").get_data(as_text=True)
    iframe = re.search(r"<iframe[^>]*>", page).group()
    assert " sandbox " in iframe and "allow-" not in iframe
    assert f"/templates/{template_id}/preview" in iframe


def test_live_render_stores_the_draft_that_the_iframe_then_shows(app, marketer_client):
    a_contact("ann@example.org", "Ann")
    template_id = a_template().id
    response = marketer_client.post(f"/templates/{template_id}/render", htmx=True,
                                    data=editor_form(subject="Draft for {{ contact.first_name }}", html="<p>Unsaved {{ contact.email }}</p>"))
    fragment = response.get_data(as_text=True)
    assert "<html" not in fragment and "Draft for Ann" in fragment
    src = re.search(r'<iframe[^>]*src="([^"]+)"', fragment).group(1).replace("&amp;", "&")
    assert "draft=1" in src
    assert "Unsaved ann@example.org" in marketer_client.get(src).get_data(as_text=True)
    # The saved template is untouched until Save.
    saved = marketer_client.get(f"/templates/{template_id}/preview").get_data(as_text=True)
    assert "<p>Hello</p>" in saved


def test_contact_search_picks_the_preview_contact_and_text_view_shows_the_text_part(app, marketer_client):
    a_contact("ann@example.org", "Ann")
    a_contact("zoe@example.org", "Zoe")
    template_id = a_template().id
    response = marketer_client.post(f"/templates/{template_id}/render", htmx=True,
                                    data=dict(editor_form(text="Plain hello {{ contact.first_name }}"), contact_q="zoe", view="text"))
    body = response.get_data(as_text=True)
    assert "Previewing for <strong>zoe@example.org</strong>" in body
    assert "Plain hello Zoe" in body and "<iframe" not in body


def test_contact_search_suggests_matching_emails(app, marketer_client):
    a_contact("ann@example.org", "Ann")
    a_contact("anna@example.org", "Anna")
    a_contact("zoe@example.org", "Zoe")
    template_id = a_template().id
    body = marketer_client.post(f"/templates/{template_id}/render", htmx=True,
                                data=dict(editor_form(), contact_q="ann")).get_data(as_text=True)
    options = re.search(r'<datalist id="contact-options" hx-swap-oob="true">(.*?)</datalist>', body, re.S).group(1)
    assert re.findall(r'value="([^"]+)"', options) == ["ann@example.org", "anna@example.org"]


def test_mobile_view_narrows_the_preview(app, marketer_client):
    template_id = a_template().id
    body = marketer_client.post(f"/templates/{template_id}/render", htmx=True,
                                data=dict(editor_form(), view="mobile")).get_data(as_text=True)
    assert "preview-frame preview-mobile" in body


def test_without_contacts_the_preview_uses_a_sample_contact(app, marketer_client):
    template_id = a_template(html="<p>Hi {{ contact.first_name }}</p>").id
    page = marketer_client.get(f"/templates/{template_id}").get_data(as_text=True)
    assert "No contacts yet: previewing with a sample contact" in page
    assert "Hi Sample" in marketer_client.get(f"/templates/{template_id}/preview").get_data(as_text=True)


def test_preview_of_a_broken_template_lists_its_problems(app, marketer_client):
    template_id = a_template(html="{{ nope }}").id
    html = marketer_client.get(f"/templates/{template_id}/preview").get_data(as_text=True)
    assert "html, line 1: unknown placeholder" in html


def test_script_in_a_template_cannot_run_in_the_preview(app, marketer_client):
    template_id = a_template(html="<p>x</p><script>alert(1)</script>").id
    response = marketer_client.get(f"/templates/{template_id}/preview")
    assert "script-src" not in response.headers["Content-Security-Policy"]  # default-src 'none' applies
    assert "sandbox" in response.headers["Content-Security-Policy"].split("; ")[-1]


# --- duplicate, delete, page vs fragment -----------------------------------------------

def test_duplicate_copies_content_under_a_new_name(app, marketer_client):
    template_id = a_template(html="<p>Original</p>").id
    first = marketer_client.post(f"/templates/{template_id}/duplicate")
    second = marketer_client.post(f"/templates/{template_id}/duplicate")
    assert first.status_code == second.status_code == 303
    with app.app_context():
        names = sorted(db.session.scalars(db.select(Template.name)))
        copy = db.session.scalar(db.select(Template).where(Template.name == "Spring news (copy)"))
        assert names == ["Spring news", "Spring news (copy 2)", "Spring news (copy)"]
        assert (copy.html, copy.version) == ("<p>Original</p>", 1)


def test_delete_removes_the_template_and_its_versions(app, marketer_client):
    template_id = a_template().id
    response = marketer_client.delete(f"/templates/{template_id}", htmx=True)
    assert response.headers["HX-Redirect"] == "/templates"
    assert marketer_client.get(f"/templates/{template_id}").status_code == 404
    assert versions(app, template_id) == []


def test_editor_answers_a_page_or_the_form_fragment(app, marketer_client):
    template_id = a_template().id
    assert "<html" in marketer_client.get(f"/templates/{template_id}").get_data(as_text=True)
    fragment = marketer_client.post(f"/templates/{template_id}", data=editor_form(), htmx=True).get_data(as_text=True)
    assert "<html" not in fragment and fragment.lstrip().startswith('<form id="template-form"')


def test_pages_need_a_login(client, app):
    template_id = a_template().id
    for url in ("/templates", f"/templates/{template_id}", f"/templates/{template_id}/preview", "/tracking-urls"):
        assert client.get(url).status_code in (302, 401)


# --- tracking URLs ---------------------------------------------------------------------

def test_tracking_urls_page_lists_the_placeholder_to_paste(app, marketer_client):
    assert "No tracking URLs yet" in marketer_client.get("/tracking-urls").get_data(as_text=True)
    response = marketer_client.post("/tracking-urls", data={"name": "Pricing", "url": "https://example.com/pricing"})
    assert response.status_code == 303
    page = marketer_client.get("/tracking-urls").get_data(as_text=True)
    assert "{{ tracking_url(&#34;Pricing&#34;) }}" in page and 'data-copy="{{ tracking_url(&#34;Pricing&#34;) }}"' in page


@pytest.mark.parametrize("url", ["example.com/pricing", "javascript:alert(1)", "ftp://example.com/x", "/pricing"])
def test_tracking_url_destination_must_be_an_absolute_web_address(marketer_client, url):
    response = marketer_client.post("/tracking-urls", data={"name": "Pricing", "url": url})
    assert response.status_code == 422
    assert "full http:// or https:// address" in response.get_data(as_text=True)


def test_tracking_url_names_are_unique_and_quote_free(app, marketer_client):
    a_tracking_url()
    taken = marketer_client.post("/tracking-urls", data={"name": "pricing", "url": "https://example.com/x"})
    assert taken.status_code == 422 and "already exists" in taken.get_data(as_text=True)
    quoted = marketer_client.post("/tracking-urls", data={"name": 'Say "hi"', "url": "https://example.com/x"})
    assert quoted.status_code == 422 and "quotes" in quoted.get_data(as_text=True)


def test_tracking_url_edit_and_delete(app, marketer_client):
    a_tracking_url()
    with app.app_context():
        tracking_url_id = db.session.scalar(db.select(TrackingUrl.id))
    assert "Edit “Pricing”" in marketer_client.get(f"/tracking-urls/{tracking_url_id}").get_data(as_text=True)
    saved = marketer_client.post(f"/tracking-urls/{tracking_url_id}", data={"name": "Pricing", "url": "https://example.com/new"})
    assert saved.status_code == 303
    with app.app_context():
        assert db.session.get(TrackingUrl, tracking_url_id).url == "https://example.com/new"
    deleted = marketer_client.delete(f"/tracking-urls/{tracking_url_id}", htmx=True, follow_redirects=True)
    assert "No tracking URLs yet" in deleted.get_data(as_text=True) and "<html" not in deleted.get_data(as_text=True)


def test_the_placeholder_menu_offers_every_contact_field_and_every_custom_field_in_use(app, marketer_client):
    with app.app_context():
        a_contact("ann@example.com", "Ann", plan="pro", **{"Favourite colour": "red"})
        template_id = a_template().id
    page = marketer_client.get(f"/templates/{template_id}").get_data(as_text=True)
    menu = page[page.index("Insert placeholder"):page.index("Manage tracking URLs")]
    inserts = re.findall(r'data-insert="([^"]*)">([^<]*)<', menu)
    assert [label for _, label in inserts][:6] == ["First name", "Last name", "Email", "Company", "Favourite colour", "plan"]
    assert ("{{ contact.plan }}", "plan") in inserts and ("{{ contact.company }}", "Company") in inserts
    assert ("{{ contact.custom[&#34;Favourite colour&#34;] }}", "Favourite colour") in inserts
