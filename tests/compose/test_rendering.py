"""Placeholders: what marketers write, what recipients get, and what the sandbox refuses."""
import pytest

from webapp.compose.rendering import (
    CompiledTemplate, Problem, RenderError, TemplateProblems, check_template, compile_template, contact_context,
)
from webapp.compose.tokens import TokenSigner, TrackingUrls

URLS = TrackingUrls(TokenSigner("test-secret"), "https://mail.example.com")


def render(html, contact=None, subject="s", text="t", **options):
    compiled = compile_template(subject, html, text, click_tracking=False, open_tracking=False, optout_footer=False,
                                **options)
    return compiled.render(1, contact or contact_context("ann@example.org", "Ann"), URLS)


def html_of(html, contact=None, **options):
    return render(html, contact, **options)[1]


def test_contact_fields_and_custom_fields_fill_placeholders():
    contact = contact_context("ann@example.org", "Ann", "Lee", "Acme", {"plan": "Pro", "city": "Oslo"})
    out = html_of("{{ contact.first_name }} {{ contact.last_name }} of {{ contact.company }} "
                  "({{ contact.email }}) {{ contact.plan }}/{{ contact.custom.city }}", contact)
    assert out == "Ann Lee of Acme (ann@example.org) Pro/Oslo"


def test_standard_fields_win_over_a_custom_field_of_the_same_name():
    contact = contact_context("ann@example.org", "Ann", custom_fields={"email": "evil@example.com", "first_name": "X"})
    assert html_of("{{ contact.email }} {{ contact.first_name }} {{ contact.custom.email }}", contact) == \
        "ann@example.org Ann evil@example.com"


def test_default_applies_to_missing_and_blank_fields():
    blank = contact_context("ann@example.org", first_name="")
    assert html_of('Hi {{ contact.first_name | default("there") }}', blank) == "Hi there"
    assert html_of('Hi {{ contact.nickname | default("friend") }}', blank) == "Hi friend"
    assert html_of('Hi {{ contact.custom.nickname | default("friend") }}', blank) == "Hi friend"
    assert html_of('Hi {{ contact.first_name | default("there") }}') == "Hi Ann"


def test_a_missing_custom_field_renders_empty_instead_of_stopping_the_send():
    assert html_of("[{{ contact.plan }}]{% if contact.plan %}yes{% endif %}") == "[]"


def test_html_is_escaped_but_subject_and_text_are_not():
    contact = contact_context("ann@example.org", "<b>Ann</b> & co")
    subject, html, text = render("{{ contact.first_name }}", contact, subject="Hi {{ contact.first_name }}",
                                 text="Hi {{ contact.first_name }}")
    assert html == "&lt;b&gt;Ann&lt;/b&gt; &amp; co"
    assert subject == "Hi <b>Ann</b> & co"
    assert text == "Hi <b>Ann</b> & co"


def test_a_subject_never_carries_a_line_break_from_contact_data():
    contact = contact_context("ann@example.org", "Ann\r\nBcc: victim@example.com")
    assert render("x", contact, subject="Hi {{ contact.first_name }}")[0] == "Hi Ann Bcc: victim@example.com"


def test_unsubscribe_and_view_in_browser_urls_are_signed_per_recipient():
    _, html, _ = render('<a href="{{ unsubscribe_url }}">u</a> <a href="{{ view_in_browser_url }}">v</a>')
    assert f'href="{URLS.unsubscribe_url(1)}"' in html
    assert f'href="{URLS.view_url(1)}"' in html


def test_tracking_url_without_click_tracking_is_the_destination():
    html = html_of('<a href="{{ tracking_url("Pricing") }}">p</a>', tracking_urls={"Pricing": "https://example.com/p"})
    assert html == '<a href="https://example.com/p">p</a>'


# --- check_template: problems with part and line -------------------------------------------


def test_a_clean_template_has_no_problems():
    assert check_template("Hi {{ contact.first_name }}", "<p>{{ contact.plan }}</p>\n{{ unsubscribe_url }}",
                          "{{ view_in_browser_url }} {{ tracking_url('Pricing') }}",
                          known_fields={"plan"}, tracking_url_names={"Pricing"}) == []


def test_syntax_errors_name_the_part_and_line():
    problems = check_template("ok", "<p>\n\n{{ contact.first_name | }}\n<p>", "{{ oops")
    assert [(p.part, p.line) for p in problems] == [("html", 3), ("text", 1)]
    assert "syntax error" in problems[0].message


def test_unknown_placeholders_and_contact_fields_are_listed_with_lines():
    problems = check_template("{{ first_name }}", "line one\n{{ contact.nickname }}\n{{ contact.custom.plan }}", "",
                              known_fields={"plan"})
    assert problems == [
        Problem("subject", 1, "unknown placeholder 'first_name'"),
        Problem("html", 2, "unknown contact field 'nickname'"),
    ]


def test_unknown_tracking_url_names_are_problems():
    problems = check_template("", '<a href="{{ tracking_url("Pricing") }}">\n{{ tracking_url("Gone") }}', "",
                              tracking_url_names={"Pricing"})
    assert problems == [Problem("html", 2, "unknown tracking URL 'Gone'")]


def test_compile_refuses_a_template_with_problems():
    with pytest.raises(TemplateProblems) as error:
        compile_template("{{ nope }}", "<p>x</p>")
    assert error.value.problems == [Problem("subject", 1, "unknown placeholder 'nope'")]


def test_a_runtime_error_for_one_recipient_names_part_and_line():
    compiled = compile_template("s", "ok\n{% if contact.company == 'Acme' %}{{ contact.first_name + 1 }}{% endif %}",
                                "t", open_tracking=False, optout_footer=False, click_tracking=False)
    assert isinstance(compiled, CompiledTemplate)
    with pytest.raises(RenderError) as error:
        compiled.render(1, contact_context("a@example.org", "Ann", company="Acme"), URLS)
    assert (error.value.problem.part, error.value.problem.line) == ("html", 2)


# --- the sandbox: real template-injection payloads are refused or harmless ------------------

SSTI_PAYLOADS = [
    "{{ ''.__class__.__mro__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ config }}",
    "{{ config.items() }}",
    "{{ self }}",
    "{{ self.__init__.__globals__ }}",
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "{{ joiner.__init__.__globals__ }}",
    "{{ namespace.__init__.__globals__ }}",
    "{{ lipsum.__globals__['os'].popen('id').read() }}",
    "{{ ''|attr('format') }}",
    "{{ ''|attr('__class__') }}",
    "{{ contact|attr('__class__') }}",
    "{% for x in ().__class__.__base__.__subclasses__() %}{{ x }}{% endfor %}",
    "{{ request }}",
    "{{ url_for.__globals__ }}",
    "{{ get_flashed_messages.__globals__ }}",
    "{{ range.__self__ }}",
    "{{ contact.email.__class__ }}",
    "{{ contact['__class__'] }}",
    "{{ contact.custom.clear() }}",
    "{{ contact.custom.update({'a': 1}) }}",
    "{{ contact.email.format(contact) }}",
    "{{ contact.email.format_map(contact) }}",
    # CVE-2024-56326: reaching str.format through a stored reference
    "{% set f = contact.email.format %}{{ f('{0.__class__}', 1) }}",
    # CVE-2025-27516: str.format through the attr filter
    "{{ contact.email|attr('format')('{0.__class__}', 1) }}",
    # jinja's tests/test_security.py: format string escapes
    '{{ "a{0.__class__}b".format(42) }}',
    '{{ ("a{0.__class__}b{1}"|safe).format(42, "<foo>") }}',
    '{{ "a{x.__class__}b".format_map({"x":42}) }}',
    "{{ [].append(23) }}",
    "{{ {1:2}.clear() }}",
    "{{ 'a' * 100000000 }}",
    "{{ 9 ** 9999999 }}",
    "{{ ' '|center(999999999) }}",
    "{% include '/etc/passwd' %}",
    "{% extends 'base.html' %}",
    "{% import 'macros.html' as m %}",
]


@pytest.mark.parametrize("payload", SSTI_PAYLOADS)
def test_template_injection_payloads_are_problems_not_leaks(payload):
    problems = check_template("subject", f"<p>Hello</p>\n{payload}", "", known_fields=set())
    assert problems, f"{payload} was accepted"
    assert all(problem.part == "html" for problem in problems)
    with pytest.raises(TemplateProblems):
        compile_template("subject", payload, "text")


def test_jinja_security_suite_format_cases_are_refused():
    """Mirrors of pallets/jinja tests/test_security.py: str.format is refused even when harmless."""
    for source in ('{{ "a{0.foo}b".format({"foo": 42}) }}', "{{ foo.__class__.__subclasses__() }}"):
        assert check_template("s", source, "")


def test_unsafe_access_inside_a_branch_the_check_did_not_take_still_fails_at_send():
    compiled = compile_template(
        "s", "{% if contact.company == 'Evil' %}{{ contact.email.format(contact) }}{% endif %}ok", "t",
        click_tracking=False, open_tracking=False, optout_footer=False,
    )
    assert compiled.render(1, contact_context("a@example.org", company="Good"), URLS)[1] == "ok"
    with pytest.raises(RenderError) as error:
        compiled.render(1, contact_context("a@example.org", company="Evil"), URLS)
    assert "not allowed" in error.value.problem.message
