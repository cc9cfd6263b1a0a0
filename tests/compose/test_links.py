"""Links become signed click URLs once per template version; the rest of the HTML survives."""
import html as html_module
import re

import pytest

from webapp.compose.links import Link, ProtectedSource, rewrite_links, shorten_lines
from webapp.compose.rendering import compile_template, contact_context
from webapp.compose.tokens import TokenSigner, TrackingUrls, read_click_token, read_open_token

SIGNER = TokenSigner("test-secret")
URLS = TrackingUrls(SIGNER, "https://mail.example.com")
CONTACT = contact_context("ann@example.org", "Ann")


def compiled(html, text=None, **options):
    options = {"open_tracking": False, "optout_footer": False, **options}
    return compile_template("Subject", html, text, **options)


def rendered_html(html, recipient_id=7, **options):
    return compiled(html, **options).render(recipient_id, CONTACT, URLS)[1]


def hrefs(html):
    return [html_module.unescape(value) for value in re.findall(r'href\s*=\s*"([^"]*)"', html, re.I)]


def click_of(url):
    assert url.startswith("https://mail.example.com/t/c/"), url
    return read_click_token(SIGNER, url.rsplit("/", 1)[1])


@pytest.mark.parametrize("anchor, destination", [
    ('<a href="https://shop.example.com/x">x</a>', "https://shop.example.com/x"),
    ("<a href='https://shop.example.com/x'>x</a>", "https://shop.example.com/x"),
    ("<a href=https://shop.example.com/x>x</a>", "https://shop.example.com/x"),
    ('<A HREF="HTTPS://shop.example.com/x">x</A>', "HTTPS://shop.example.com/x"),
    ('<a class="btn"\n   href = "https://shop.example.com/x?a=1&amp;b=2"\n>x</a>', "https://shop.example.com/x?a=1&b=2"),
    ('<a title="a > b" href="https://shop.example.com/x"><b><i>nested</i></b></a>', "https://shop.example.com/x"),
    ('<a href="  http://shop.example.com/x  ">x</a>', "http://shop.example.com/x"),
])
def test_every_spelling_of_an_http_link_is_tracked(anchor, destination):
    template = compiled(anchor)
    assert template.links == [Link(0, destination)]
    html = template.render(7, CONTACT, URLS)[1]
    assert click_of(hrefs(html)[0]) == (7, 0, 0)
    assert destination not in html


@pytest.mark.parametrize("anchor", [
    '<a href="mailto:sales@example.com">mail</a>',
    '<a href="tel:+4712345678">call</a>',
    '<a href="#top">top</a>',
    '<a href="/relative/page">relative</a>',
    '<a href="http://">malformed</a>',
    '<a href="https://[broken">malformed</a>',
    '<a href="javascript:alert(1)">js</a>',
    '<a name="anchor">no href</a>',
])
def test_links_that_are_not_web_addresses_are_left_alone(anchor):
    template = compiled(anchor)
    assert template.links == []
    assert template.render(7, CONTACT, URLS)[1] == anchor


def test_data_notrack_keeps_the_link_and_drops_the_marker():
    html = rendered_html('<a data-notrack href="https://example.com/private">p</a> '
                         '<a href="https://example.com/other" DATA-NOTRACK class="x">o</a>')
    assert html == '<a href="https://example.com/private">p</a> <a href="https://example.com/other" class="x">o</a>'


def test_unsubscribe_view_and_personalised_links_are_not_wrapped():
    html = rendered_html('<a href="{{ unsubscribe_url }}">u</a><a href="{{ view_in_browser_url }}">v</a>'
                         '<a href="https://example.com/?e={{ contact.email }}">me</a>')
    assert hrefs(html) == [URLS.unsubscribe_url(7), URLS.view_url(7), "https://example.com/?e=ann@example.org"]


def test_links_are_numbered_once_and_each_recipient_gets_own_tokens():
    template = compiled('<a href="https://a.example.com">a</a><p><a href="https://b.example.com">b</a></p>'
                        '<a href="https://a.example.com">a again</a>')
    assert [link.destination for link in template.links] == [
        "https://a.example.com", "https://b.example.com", "https://a.example.com"]
    for recipient_id in (1, 2):
        html = template.render(recipient_id, CONTACT, URLS)[1]
        assert [click_of(href) for href in hrefs(html)] == [(recipient_id, 0, 0), (recipient_id, 0, 1), (recipient_id, 0, 2)]


def test_tracking_urls_join_the_link_table_and_are_signed():
    template = compiled('<a href="{{ tracking_url("Pricing") }}">p</a> <a href="https://a.example.com">a</a>',
                        text="See {{ tracking_url('Pricing') }}", tracking_urls={"Pricing": "https://example.com/pricing"})
    assert template.links == [Link(0, "https://a.example.com"), Link(1, "https://example.com/pricing", "Pricing")]
    _, html, text = template.render(3, CONTACT, URLS)
    assert click_of(hrefs(html)[0]) == (3, 0, 1)
    assert click_of(text.split()[-1]) == (3, 0, 1)


def test_without_click_tracking_links_stay_as_written():
    source = '<a href="https://a.example.com/?x=1&amp;y=2">a</a>'
    template = compiled(source, click_tracking=False)
    assert template.links == []
    assert template.render(1, CONTACT, URLS)[1] == source


def test_generated_text_part_carries_the_tracked_links():
    template = compiled('<p>Hello {{ contact.first_name }},</p><p><a href="https://shop.example.com">Shop now</a></p>')
    text = template.render(5, CONTACT, URLS)[2]
    assert text.startswith("Hello Ann,")
    url = re.search(r"\[Shop now\]\((\S+)\)", text).group(1)
    assert click_of(url) == (5, 0, 0)


def test_css_is_inlined_once_and_placeholders_survive_everywhere():
    source = (
        "<html><head><style>td { color: red } .cta { font-weight: bold }</style></head><body>"
        "<!--[if mso]><table><tr><td>{{ contact.first_name }}</td></tr></table><![endif]-->"
        "<table>{% for word in ['a', 'b'] %}<tr><td class=\"cta\">{{ word }} {{ contact.first_name }}</td></tr>{% endfor %}</table>"
        '<a class="cta" href="https://shop.example.com" title="{{ contact.first_name }}">shop</a> &#123;&#123; literal }}'
        "</body></html>"
    )
    html = rendered_html(source)
    assert html.count('<td class="cta" style="color: red;font-weight: bold;">') == 2
    assert ">a Ann</td>" in html and ">b Ann</td>" in html
    assert html.index("<table>") < html.index(">a Ann</td>")  # the loop stayed inside its table
    assert "<!--[if mso]><table><tr><td>Ann</td></tr></table><![endif]-->" in html
    assert 'title="Ann"' in html and click_of(hrefs(html)[0]) == (7, 0, 0)
    assert "{{ literal }}" in html


def test_placeholders_in_the_title_survive_css_inlining():
    html = rendered_html("<html><head><title>News for {{ contact.first_name }}</title><style>p { color: red }</style>"
                         "</head><body><p>x</p></body></html>")
    assert "<title>News for Ann</title>" in html


def test_marker_characters_typed_into_a_template_are_dropped():
    assert rendered_html("<p>a\ue0005\ue001b {{ contact.first_name }}</p>") == "<p>a5b Ann</p>"


def test_footer_is_added_when_the_template_has_no_unsubscribe_link():
    template = compiled("<html><body><p>News</p></body></html>", optout_footer=True, postal_address="1 Main St <Oslo>")
    _, html, text = template.render(4, CONTACT, URLS)
    assert html.index("Unsubscribe") < html.index("</body>")
    assert URLS.unsubscribe_url(4) in hrefs(html)
    assert "1 Main St &lt;Oslo&gt;" in html
    assert f"Unsubscribe: {URLS.unsubscribe_url(4)}" in text and "1 Main St <Oslo>" in text


def test_a_custom_unsubscribe_link_is_respected():
    template = compiled('<p>News</p><a href="{{ unsubscribe_url }}">Leave</a>', text="Leave: {{ unsubscribe_url }}",
                        optout_footer=True, postal_address="1 Main St")
    _, html, text = template.render(4, CONTACT, URLS)
    assert html.count(URLS.unsubscribe_url(4)) == 1 and "1 Main St" not in html
    assert text.count(URLS.unsubscribe_url(4)) == 1


def test_a_postal_address_with_template_syntax_stays_text():
    template = compiled("<p>x</p>", optout_footer=True, postal_address="{{ contact.email }}")
    assert "{{ contact.email }}" in template.render(4, CONTACT, URLS)[1]


def test_open_pixel_is_the_last_thing_in_the_body():
    html = rendered_html("<html><body><p>x</p></body></html>", open_tracking=True)
    pixel = re.search(r'<img src="([^"]+)" width="1" height="1"[^>]*></body>', html)
    assert read_open_token(SIGNER, pixel.group(1).rsplit("/", 1)[1]) == 7


def test_long_lines_are_broken_only_where_html_ignores_the_break():
    protected = ProtectedSource('<td class="a" style="' + "color: red; " * 20 + '" title="x y">' + "word " * 100 + "</td>")
    rewrite_links(protected)
    shorten_lines(protected)
    lines = protected.restore().split("\n")
    assert max(map(len, lines)) < 400
    assert " ".join(protected.restore().split()) == " ".join(('<td class="a" style="' + "color: red; " * 20 + '" title="x y">' + "word " * 100 + "</td>").split())


def test_preformatted_text_is_never_rewrapped():
    source = "<pre>" + "word " * 100 + "</pre>"
    protected = ProtectedSource(source)
    shorten_lines(protected)
    assert protected.restore() == source
