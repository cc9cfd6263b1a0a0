"""Preflight lint: before any send, the marketer sees what hurts delivery, readers or the law, and why."""
import pytest
from playwright.sync_api import expect

from tests.browser import log_in, screenshot
from tests.factories import a_template
from webapp.compose.preflight import preflight
from webapp.settings.models import AppSettings

ADDRESS = "1 Main St, Springfield, OR 97477"
# A template that passes every check: sentence-case subject, own unsubscribe link, the postal
# address, a written text part, alt texts, https links whose text is words.
CLEAN_HTML = f"""<html><body>
<h1>Hello {{{{ contact.first_name | default("there") }}}},</h1>
<p>Our autumn collection is here, with warm coats and boots for the colder weeks ahead.</p>
<img src="https://cdn.example.com/coat.png" alt="A red wool coat">
<p><a href="https://shop.example.com/autumn">See the collection</a></p>
<p><a href="{{{{ unsubscribe_url }}}}">Unsubscribe</a> · {ADDRESS}</p>
</body></html>"""
CLEAN_TEXT = f"Hello,\nOur autumn collection is here.\nhttps://shop.example.com/autumn\nUnsubscribe: {{{{ unsubscribe_url }}}}\n{ADDRESS}\n"


def settings(**changes):
    values = dict(optout_link_mandatory=True, postal_address=ADDRESS, from_email="news@example.com",
                  click_tracking=True, open_tracking=True, site_url="https://mail.example.com",
                  dkim_domain="example.com", dkim_selector="mailroom", dkim_private_key="(a PEM key)")
    return AppSettings(**(values | changes))


def lint(subject="Our autumn collection is here", html=CLEAN_HTML, text=CLEAN_TEXT, app_settings=None, **kwargs):
    return preflight(subject, html, text, settings=app_settings or settings(), **kwargs)


def codes(findings):
    return [finding.code for finding in findings]


def finding(findings, code):
    [found] = [f for f in findings if f.code == code]
    return found


def page_with(body):
    """The clean template with extra HTML in its body."""
    return CLEAN_HTML.replace("</body>", body + "\n</body>")


def test_a_clean_template_has_no_findings():
    assert lint() == []


# --- Subject --------------------------------------------------------------------------------


def test_all_caps_subject_warns_but_acronyms_and_short_subjects_pass():
    shouting = finding(lint("HUGE AUTUMN SALE STARTS NOW"), "subject_all_caps")
    assert shouting.severity == "warning" and shouting.where == "Subject" and "spam" in shouting.why
    assert "subject_all_caps" not in codes(lint("NEW: IBM and AWS deals for Q3"))
    assert "subject_all_caps" not in codes(lint("NEW IN Q3"))
    assert "subject_all_caps" not in codes(lint("{{ contact.first_name | upper }}, your coat is ready"))


def test_repeated_exclamation_marks_warn():
    assert "subject_punctuation" in codes(lint("Last chance!!!"))
    assert "subject_punctuation" in codes(lint("Ready?!"))
    assert "subject_punctuation" not in codes(lint("Hello, autumn!"))


def test_spam_trigger_words_are_named_in_the_warning():
    found = finding(lint("Act now: you are a winner"), "subject_spam_words")
    assert "act now" in found.title and "winner" in found.title
    assert "subject_spam_words" not in codes(lint("Free shipping on autumn coats"))


def test_empty_subject_is_an_error():
    assert finding(lint("  "), "subject_empty").severity == "error"
    assert "subject_empty" not in codes(lint("Autumn"))


# --- Compliance -----------------------------------------------------------------------------


def test_missing_unsubscribe_link_warns_when_the_opt_out_footer_is_off():
    html = CLEAN_HTML.replace('<a href="{{ unsubscribe_url }}">Unsubscribe</a>', "")
    found = finding(lint(html=html, text="", app_settings=settings(optout_link_mandatory=False)), "unsubscribe_missing")
    assert found.severity == "warning" and "CAN-SPAM" in found.why and "RFC 8058" in found.why
    assert "unsubscribe_missing" not in codes(lint(app_settings=settings(optout_link_mandatory=False)))


def test_missing_unsubscribe_link_is_only_info_when_the_footer_will_be_added():
    html = CLEAN_HTML.replace('<a href="{{ unsubscribe_url }}">Unsubscribe</a>', "")
    found = finding(lint(html=html, text=""), "unsubscribe_footer_added")
    assert found.severity == "info" and found.title == "A footer with the unsubscribe link will be added"
    assert "unsubscribe_missing" not in codes(lint(html=html, text=""))


def test_a_written_text_part_without_the_link_is_named():
    found = finding(lint(text="Hello, our autumn collection is here.", app_settings=settings(optout_link_mandatory=False)),
                    "unsubscribe_missing")
    assert found.where == "Text part"


def test_missing_postal_address_warns_with_can_spam():
    found = finding(lint(app_settings=settings(postal_address="")), "postal_address_missing")
    assert found.severity == "warning" and "CAN-SPAM" in found.why
    assert "postal_address_missing" not in codes(lint())


def test_postal_address_must_be_typed_in_when_the_template_has_its_own_footer():
    without_address = CLEAN_HTML.replace(ADDRESS, "")
    assert "postal_address_not_shown" in codes(lint(html=without_address))
    # With no unsubscribe link of its own, the added footer carries the address.
    no_footer = without_address.replace('<a href="{{ unsubscribe_url }}">Unsubscribe</a>', "")
    assert "postal_address_not_shown" not in codes(lint(html=no_footer, text=""))


def test_no_sender_and_no_reply_sender_are_noted():
    assert finding(lint(app_settings=settings(from_email="")), "from_missing").severity == "info"
    assert "from_missing" not in codes(lint(app_settings=settings(from_email=""), from_email="news@example.com"))
    assert "no_reply_sender" in codes(lint(from_email="no-reply@example.com"))
    assert "no_reply_sender" not in codes(lint(from_email="no-reply@example.com", reply_to="team@example.com"))


def test_unsigned_mail_warns_and_a_foreign_from_domain_breaks_alignment():
    assert "DKIM" in finding(lint(app_settings=settings(dkim_private_key="")), "dkim_off").title
    assert "dkim_off" not in codes(lint())
    found = finding(lint(from_email="news@other.org"), "dkim_not_aligned")
    assert "DMARC" in found.why
    assert "dkim_not_aligned" not in codes(lint(from_email="news@mail.example.com"))


# --- Content --------------------------------------------------------------------------------


def test_blank_text_part_is_generated_and_said_so():
    found = finding(lint(text=""), "text_generated")
    assert found.severity == "info" and "generated" in found.title
    assert "text_generated" not in codes(lint())


def test_image_only_email_warns_about_nearly_empty_text():
    image_only = ('<html><body><a href="https://shop.example.com"><img src="https://cdn.example.com/all.png" alt="Sale">'
                  '</a><a href="{{ unsubscribe_url }}">x</a></body></html>')
    assert finding(lint(html=image_only, text=""), "text_nearly_empty").severity == "warning"
    assert "text_nearly_empty" not in codes(lint(text=""))


def test_images_without_alt_are_listed_by_line():
    html = page_with('<img src="https://cdn.example.com/a.png">\n<img src="https://cdn.example.com/b.png" alt="">\n'
                     '<img src="https://cdn.example.com/c.png">')
    found = finding(lint(html=html), "image_without_alt")
    assert found.title == "2 images have no alt text" and found.where == "HTML, lines 7, 9"
    assert "screen readers" in found.why


def test_html_near_gmail_clip_limit_warns_and_above_it_is_an_error():
    paragraph = "<p>" + "Warm coats and boots for the colder weeks. " * 20 + "</p>\n"
    near = page_with(paragraph * (92 * 1024 // len(paragraph)))
    assert finding(lint(html=near), "html_near_clip").severity == "warning"
    clipped = page_with(paragraph * (104 * 1024 // len(paragraph)))
    found = finding(lint(html=clipped), "html_clipped")
    assert found.severity == "error" and "102 KB" in found.why
    assert not {"html_near_clip", "html_clipped"} & set(codes(lint()))


def test_html_size_is_measured_after_click_tracking_rewrites_links():
    links = "".join(f'<a href="https://ex.co/{n}">{n}</a>\n' for n in range(2400))
    html = page_with(links)
    assert len(html.encode()) < 90 * 1024
    assert "html_clipped" in codes(lint(html=html))
    assert "html_clipped" not in codes(lint(html=html, app_settings=settings(click_tracking=False)))


# --- Links ----------------------------------------------------------------------------------


def test_links_to_raw_ip_addresses_warn():
    found = finding(lint(html=page_with('<a href="https://203.0.113.9/login">Log in</a>')), "link_raw_ip")
    assert found.where == "HTML, line 7"
    assert "link_raw_ip" in codes(lint(html=page_with('<a href="http://[2001:db8::1]/">Go</a>')))


def test_url_shorteners_warn():
    assert "link_shortener" in codes(lint(html=page_with('<a href="https://bit.ly/3xyz">Offer</a>')))
    assert "link_shortener" in codes(lint(html=page_with('<a href="https://TinyURL.com/abc">Offer</a>')))
    assert "link_shortener" not in codes(lint(html=page_with('<a href="https://habit.ly.example.com/">Habits</a>')))


def test_link_text_showing_another_domain_is_a_phishing_signal():
    phishing = page_with('<a href="https://login.example.net/">www.yourbank.com</a>')
    assert finding(lint(html=phishing), "link_text_mismatch").severity == "warning"
    same_site = page_with('<a href="https://www.shop.example.com/autumn?utm=1">shop.example.com/autumn</a>')
    assert "link_text_mismatch" not in codes(lint(html=same_site))


def test_plain_http_links_are_noted():
    assert finding(lint(html=page_with('<a href="http://shop.example.com/">Shop</a>')), "link_http").severity == "info"


def test_more_than_25_distinct_links_warn():
    def with_links(count):
        return page_with("".join(f'<a href="https://shop.example.com/{n}">Item {n}</a>' for n in range(count - 1)))

    assert "too_many_links" not in codes(lint(html=with_links(25)))  # plus the collection link: 25
    assert finding(lint(html=with_links(26)), "too_many_links").title == "The email has 26 different links"


def test_personalised_links_are_not_judged():
    html = page_with('<a href="https://{{ contact.company }}.example.com/">{{ contact.company }}</a>')
    assert lint(html=html) == []


# --- Template problems come from check_template ------------------------------------------------


def test_unknown_placeholders_and_syntax_errors_are_errors_with_their_line():
    found = finding(lint(html=page_with("{{ coupon_code }}")), "unknown_placeholder")
    assert found.severity == "error" and found.where == "HTML, line 7" and "coupon_code" in found.title
    assert "syntax_error" in codes(lint(subject="Hello {{ contact.first_name"))
    assert finding(lint(html=page_with("{{ contact.plan }}")), "unknown_placeholder").title == "Unknown contact field 'plan'"
    assert lint(html=page_with("{{ contact.plan }}"), known_fields={"plan"}) == []
    assert "unknown_placeholder" in codes(lint(html=page_with('{{ tracking_url("Pricing") }}')))
    assert lint(html=page_with('<a href="{{ tracking_url("Pricing") }}">Prices</a>'), tracking_names={"Pricing"}) == []


def test_errors_come_before_warnings_and_info():
    findings = lint("WIN BIG TODAY ON EVERYTHING", page_with("{{ oops }}"), "")
    assert [f.severity for f in findings] == sorted((f.severity for f in findings), key=("error", "warning", "info").index)


# --- The fragment and its routes ------------------------------------------------------------


def draft(**changes):
    return {"subject": "Our autumn collection is here", "html": CLEAN_HTML, "text": CLEAN_TEXT,
            "from_email": "news@example.com", "reply_to": ""} | changes


def save_settings_row(app, **changes):
    from webapp.extensions import db
    from webapp.settings.service import get_settings

    with app.app_context():
        row = get_settings()
        for name, value in changes.items():
            setattr(row, name, value)
        db.session.commit()


def test_editor_draft_shows_all_checks_passed(app, marketer_client):
    # The Site URL is where the test client reaches the app (http://localhost): links lead here.
    save_settings_row(app, postal_address=ADDRESS, dkim_domain="example.com", dkim_selector="mailroom",
                      dkim_private_key="(preflight only checks that a key is stored)", site_url="http://localhost")
    response = marketer_client.post("/templates/preflight", data=draft(), htmx=True)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body
    assert 'id="preflight"' in body and "All checks passed" in body


def test_editor_draft_findings_are_grouped_by_severity_with_why_and_where(app, marketer_client):
    save_settings_row(app, postal_address=ADDRESS)
    body = marketer_client.post("/templates/preflight", htmx=True,
                                data=draft(subject="BUY NOW!!!", html=page_with("{{ oops }}"), text="")).get_data(as_text=True)
    assert "All checks passed" not in body
    must, should, know = (body.index(h) for h in ("Must fix before sending", "Should fix", "Good to know"))
    assert must < should < know
    assert "Unknown placeholder &#39;oops&#39;" in body and "HTML, line 7" in body
    assert "spam trigger words: buy now" in body and "Content filters score these phrases" in body
    assert 'data-goto-part="html" data-goto-line="7"' in body


def test_saved_template_preflight_page_and_fragment(marketer_client):
    template_id = a_template(name="Autumn", subject="HUGE AUTUMN SALE STARTS NOW", html=CLEAN_HTML, text=CLEAN_TEXT,
                             from_email="news@example.com").id
    page = marketer_client.get(f"/templates/{template_id}/preflight").get_data(as_text=True)
    assert "<html" in page and "Preflight: Autumn" in page and "The subject is in capital letters" in page
    fragment = marketer_client.get(f"/templates/{template_id}/preflight", htmx=True).get_data(as_text=True)
    assert "<html" not in fragment and 'id="preflight"' in fragment
    assert marketer_client.get("/templates/999/preflight").status_code == 404


def test_preflight_needs_a_login(client, marketer):
    response = client.get("/templates/1/preflight")
    assert response.status_code == 302 and "/login" in response.location
    response = client.post("/templates/preflight", data=draft())
    assert response.status_code == 302 and "/login" in response.location


@pytest.mark.browser
def test_marketer_reads_the_preflight_checklist(page, marketer):
    template_id = a_template(name="Autumn launch", subject="LAST CHANCE FOR AUTUMN!!!", text="",
                             html=page_with('<img src="https://cdn.example.com/b.png">\n'
                                            '<a href="https://bit.ly/3xyz">www.example.org</a>\n{{ coupon }}')).id
    log_in(page, "marketer@example.com")
    page.goto(f"/templates/{template_id}/preflight")
    page.get_by_role("heading", name="Must fix before sending").wait_for()
    screenshot(page, "preflight")

    # What this template gets wrong, each under its severity: the unknown placeholder blocks the send...
    must_fix = page.locator(".preflight-item.preflight-error")
    expect(must_fix).to_have_count(1)
    expect(must_fix).to_contain_text("Unknown placeholder 'coupon'")
    expect(must_fix).to_contain_text("HTML, line 9")
    # ...the shouting subject, the image without alt text and the disguised, shortened link should be fixed.
    should_fix = page.locator(".preflight-item.preflight-warning")
    for title in ("The subject is in capital letters", 'The subject repeats "!" or "?"', "An image has no alt text",
                  "A link uses a URL shortener", "Link text shows a different address than the link opens"):
        expect(should_fix.filter(has_text=title)).to_have_count(1)
