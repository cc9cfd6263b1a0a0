"""The sandbox's limits: no template holds a worker for long or fills its memory, and every refusal
says what was too big, too slow or too deep, in every place a template is checked or rendered."""
import inspect
import sys
import time
import tracemalloc

import pytest

from tests.compose.helpers import editor_form, versions
from tests.factories import a_contact, a_template
from webapp.compose import limits
from webapp.compose.mime import BuildSettings, MessageBuilder
from webapp.compose.rendering import RenderError, TemplateProblems, check_template, compile_template, contact_context
from webapp.compose.tokens import TokenSigner, TrackingUrls

URLS = TrackingUrls(TokenSigner("test-secret"), "https://mail.example.com")
SECONDS = 1.0  # what a check or a render may take, at most: a worker is never held longer
MEGABYTES = 50  # what it may allocate at its peak

S10K = "{% set s = 'x' * 10000 %}"
S200K = "{% set s = 'x' * 200000 %}"

# Templates that would freeze a worker or fill its memory, each with the start of its refusal.
# All of them are refused while rendering, so each also fails the one recipient whose data leads
# to it (see test_a_payload_behind_a_contact_fails_that_recipient_only).
RENDER_PAYLOADS = [
    # numbers and filters that take a size
    pytest.param("{{ 10|round(-10000000) }}", "too big", id="round-to-ten-million-digits"),
    pytest.param("{{ 10|round(-999999999) }}", "too big", id="round-to-a-billion-digits"),
    pytest.param("{{ 1.5|round(999999999) }}", "too big", id="round-float"),
    pytest.param("{{ 'aaaaaaaaaa'|replace('a', 'aaaaaaaaaa')|replace('a', 'aaaaaaaaaa')|replace('a', 'aaaaaaaaaa')"
                 "|replace('a', 'aaaaaaaaaa')|replace('a', 'aaaaaaaaaa')|replace('a', 'aaaaaaaaaa') }}",
                 "too big", id="replace-filter-chain"),
    pytest.param("{{ ('x' * 10000)|join('y' * 10000) }}", "too big", id="join-filter"),
    # %-formatting with a width or precision
    pytest.param("{{ ('%0' ~ '9999999d') % 1 }}", "too big", id="format-width-made-by-concat"),
    pytest.param("{{ '%.999999999f' % 1 }}", "too big", id="format-precision"),
    pytest.param("{{ '%-999999999s' % 'x' }}", "too big", id="format-width"),
    pytest.param("{{ ('%' ~ '9' * 5000 ~ 'd') % 1 }}", "too big", id="format-width-of-5000-digits"),
    pytest.param("{{ '%(a)0999999999d' % {'a': 1} }}", "too big", id="format-mapping-key"),
    pytest.param("{{ '%(a(b))999999999s' % {'a(b)': 1} }}", "too big", id="format-key-nesting-parentheses"),
    pytest.param("{{ '%*d' % (999999999, 1) }}", "not allowed", id="format-star-width"),
    pytest.param("{{ '%.*f' % (999999999, 1) }}", "not allowed", id="format-star-precision"),
    pytest.param(S10K + "{{ '%s' * 21 % (s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s, s) }}",
                 "too big", id="format-long-values"),
    # str methods that take a width or a count
    pytest.param("{{ 'x'.ljust(1000000000) }}", "too big", id="ljust"),
    pytest.param("{{ 'x'.rjust(10 ** 9) }}", "too big", id="rjust"),
    pytest.param("{{ 'x'.center(10 ** 9, '*') }}", "too big", id="center"),
    pytest.param("{{ '1'.zfill(10 ** 9) }}", "too big", id="zfill"),
    pytest.param("{{ ('\t' * 1000).expandtabs(1000000) }}", "too big", id="expandtabs"),
    pytest.param("{{ 'aaaaaaaaaa'" + ".replace('a', 'aaaaaaaaaa')" * 7 + " }}", "too big", id="replace-chain"),
    pytest.param("{{ ('x' * 10000).replace('', 'y' * 10000) }}", "too big", id="replace-empty-string"),
    pytest.param("{{ ('y' * 10000).join('x' * 10000) }}", "too big", id="join-method"),
    pytest.param("{{ '-'.join(('x' * 10000,) * 1000) }}", "too big", id="join-repeated-string"),
    pytest.param("{{ (1).to_bytes(100000000, 'big') }}", "not allowed", id="int-to-bytes"),
    pytest.param("{{ ('x' * 1000).encode() }}", "not allowed", id="str-encode"),
    pytest.param("{{ 'a'.translate({97: 'b' * 100000}) }}", "not allowed", id="str-translate"),
    # big integers
    pytest.param("{{ 9 ** (9 ** 9) }}", "too big", id="power-tower"),
    pytest.param("{{ ((9 ** 64) ** 64) ** 64 }}", "too big", id="power-chain"),
    pytest.param("{% set a = 99 ** 99 %}{% set b = a * a %}{% set c = b * b %}{{ c * c }}", "too big",
                 id="squaring-chain"),
    # repetition and concatenation
    pytest.param("{{ 'a' * 100000000 }}", "too big", id="str-times"),
    pytest.param("{{ [1] * 1000000000 }}", "too big", id="list-times"),
    pytest.param("{{ ('ab' * 10000) * 10000 }}", "too big", id="str-times-twice"),
    pytest.param("{% set s = 'x' * 100000 %}{{ s + s + s }}", "too big", id="plus"),
    pytest.param("{% set s = 'x' * 100000 %}{{ s ~ s ~ s ~ s ~ s ~ s ~ s ~ s ~ s ~ s }}", "too big", id="tilde"),
    # loops
    pytest.param(S10K + "{% for a in s %}{% for b in s %}{{ b }}{% endfor %}{% endfor %}", "too slow",
                 id="nested-loops"),
    pytest.param(S10K + "{% for a in s %}{% for b in s %}{% endfor %}{% endfor %}", "too slow",
                 id="nested-loops-empty-body"),
    pytest.param(S10K + "{% for a in s %}{% for b in s if b == 'y' %}{% endfor %}{% endfor %}", "too slow",
                 id="nested-loops-filtered-out"),
    pytest.param("{% for a in 'x' * 10000 %}" + "lorem ipsum " * 10000 + "{% endfor %}", "too slow",
                 id="loop-over-long-text"),
    pytest.param("{% for a in 'x' * 10000 %}" + "{% if a %}{{ a ~ a }}{% endif %}" * 300 + "{% endfor %}",
                 "too slow", id="loop-with-long-body"),
    pytest.param(S10K + "{% for a in s %}{{ s }}{% endfor %}", "too slow", id="loop-outputs-long-value"),
    pytest.param("{% set s = 'x' * 100000 %}{% for a in s %}{% set t = s ~ s %}{% endfor %}", "too slow",
                 id="loop-concatenates"),
    pytest.param(S200K + "{% for a in s %}{% set t = s[1:] %}{% endfor %}", "too slow", id="loop-slices"),
    pytest.param(S200K + "{% set t = 'x' * 199999 ~ 'x' %}{% for a in s %}{% if s == t %}{% endif %}{% endfor %}",
                 "too slow", id="loop-compares-long-text"),
    pytest.param(S200K + "{% for a in s %}{% if 'y' in s %}{% endif %}{% endfor %}", "too slow",
                 id="loop-searches-long-text"),
    pytest.param("{% set s = 'ab ' * 60000 %}{% for a in s %}{{ s|wordcount }}{% endfor %}", "too slow",
                 id="loop-counts-words"),
    pytest.param("{% set s = 'ab ' * 60000 %}{% for a in s %}{{ s|title }}{% endfor %}", "too slow",
                 id="loop-titles"),
    pytest.param("{% for a in 'x' * 10000 %}{% set t %}" + "y" * 100000 + "{% endset %}{% endfor %}", "too slow",
                 id="loop-buffers-block"),
    pytest.param(S200K + "{% for a in s %}{% for b in s %}{{ loop.length }}{% endfor %}{% endfor %}", "too slow",
                 id="loop-length"),
    pytest.param("{% set l = ('a ' * 3000).split() %}{% for x in 'x' * 10000 %}{% if l == l %}{% endif %}"
                 "{% endfor %}", "too slow", id="loop-compares-lists"),
    # recursion
    pytest.param("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", "too deep", id="macro-recursion"),
    pytest.param("{% macro f() %}{% call f() %}{{ caller() }}{% endcall %}{% endmacro %}{{ f() }}", "too deep",
                 id="caller-recursion"),
    pytest.param("{% for x in [[1]] recursive %}{{ loop([x]) }}{% endfor %}", "too deep", id="recursive-loop"),
    pytest.param("{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(30) }}",
                 "too slow", id="macro-fan-out"),
    pytest.param("{% macro f(x, n) %}{% if n %}{{ f(x ~ x, n - 1) }}{% endif %}{% endmacro %}{{ f('ab', 30) }}",
                 "too big", id="macro-doubles-text"),
    pytest.param("{% macro f(n) %}{% if n %}{{ f(n - 1, varargs, varargs) }}{% endif %}{% endmacro %}"
                 "{{ f(30, 'x' * 1000) }}", "too big", id="macro-doubles-arguments"),
    # containers that hold one long string many times: their text, comparison and hash go through it each time
    pytest.param("{% set a = ('x' * 10000,) * 10 %}{% set b = (a,) * 10 %}{% set c = (b,) * 10 %}{{ c }}",
                 "too big", id="nested-tuples-printed"),
    pytest.param("{% set a = 'x' * 10000 %}{% set b = [a, a, a, a, a, a, a, a, a, a] %}"
                 "{% set c = [b, b, b, b, b, b, b, b, b, b] %}{{ c == c }}", "too big", id="nested-lists-compared"),
    pytest.param("{% set a = ('x' * 1000, 'y') %}{% set b = (a, a, a, a, a, a, a, a, a, a) %}"
                 "{% set c = (b, b, b, b, b, b, b, b, b, b) %}{% set d = (c, c, c, c, c, c, c, c, c, c) %}{{ {d: 1} }}",
                 "too big", id="nested-tuples-hashed"),
    pytest.param("{{ ('a ' * 100000).split() }}", "too big", id="split-into-many-pieces"),
]

# Templates refused before they run: too deep to parse or compile, or too long.
PARSE_PAYLOADS = [
    pytest.param("{{ " + "(" * 3000 + "1" + ")" * 3000 + " }}", "syntax error", id="nested-parentheses"),
    pytest.param("{{ " + " + ".join(["1"] * 5000) + " }}", "syntax error", id="long-sum"),
    pytest.param("{{ " + "not " * 3000 + "1 }}", "syntax error", id="not-chain"),
    pytest.param("{{ 'a'" + "|upper" * 3000 + " }}", "syntax error", id="filter-chain"),
    pytest.param("{% if 1 %}" * 300 + "x" + "{% endif %}" * 300, "syntax error", id="nested-ifs"),
    pytest.param("{% for a in 'ab' %}" * 25 + "x" + "{% endfor %}" * 25, "syntax error", id="nested-loops-25"),
    pytest.param("{{ " + "9" * 5000 + " }}", "syntax error", id="number-of-5000-digits"),
    pytest.param("{{ 1 << 100000000 }}", "syntax error", id="left-shift"),
    pytest.param("<p>x</p>" * (5 * 1024 * 1024 // 8), "too long", id="5-mb-of-html"),
    pytest.param("{{ contact.email }}" * 2501, "too long", id="too-many-tags"),
    pytest.param('<a href="https://example.com/">x</a>' * 2501, "too long", id="too-many-links"),
]


def measured(run):
    """(result, seconds, peak MB): timed on its own, then run again under tracemalloc, which slows it."""
    started = time.perf_counter()
    result = run()
    seconds = time.perf_counter() - started
    tracemalloc.start()
    try:
        run()
        peak = tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()
    return result, seconds, peak


def in_bounds(seconds, peak):
    return seconds < SECONDS and peak < MEGABYTES


@pytest.mark.parametrize("payload, refusal", RENDER_PAYLOADS + PARSE_PAYLOADS)
def test_check_template_refuses_the_payload_within_the_bounds(payload, refusal):
    problems, seconds, peak = measured(lambda: check_template("Hi", f"<p>Hello</p>\n{payload}", ""))
    assert problems and all(problem.part == "html" for problem in problems)
    assert problems[0].message.startswith(refusal), problems
    assert in_bounds(seconds, peak), (seconds, peak)


@pytest.mark.parametrize("payload, refusal", RENDER_PAYLOADS + PARSE_PAYLOADS)
def test_compile_template_refuses_the_payload_for_sending(payload, refusal):
    with pytest.raises(TemplateProblems) as error:
        compile_template("Hi", payload, "text")
    assert error.value.problems[0].message.startswith(refusal)


def hidden(payload):
    """The payload where only some contacts take it: the check's sample contact does not."""
    html = f"{{% macro evil() %}}{payload}{{% endmacro %}}ok {{% if contact.company == 'Evil' %}}{{{{ evil() }}}}{{% endif %}}"
    return compile_template("Hi", html, "text", click_tracking=False, open_tracking=False, optout_footer=False)


@pytest.mark.parametrize("payload, refusal", RENDER_PAYLOADS)
def test_a_payload_behind_a_contact_fails_that_recipient_only(payload, refusal):
    compiled = hidden(payload)
    assert compiled.render(1, contact_context("good@example.org", company="Good"), URLS)[1].strip() == "ok"

    def render_for_the_evil_contact():
        with pytest.raises(RenderError) as error:
            compiled.render(2, contact_context("evil@example.org", company="Evil"), URLS)
        return error.value.problem

    problem, seconds, peak = measured(render_for_the_evil_contact)
    assert problem.part == "html" and problem.message.startswith(refusal), problem
    assert in_bounds(seconds, peak), (seconds, peak)


# --- recursion is refused by the depth budget, not by Python ---------------------------------

def test_macro_recursion_is_refused_long_before_pythons_recursion_limit():
    """With only 300 frames left before Python's limit, the template still meets its own limit first."""
    frames_in_use = len(inspect.stack(0))
    python_limit = sys.getrecursionlimit()
    sys.setrecursionlimit(frames_in_use + 300)
    try:
        problems = check_template("Hi", "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}", "")
    finally:
        sys.setrecursionlimit(python_limit)
    assert problems[0].message == f"too deep: macros and loops call themselves more than {limits.MAX_CALL_DEPTH} levels deep"


def test_a_macro_may_call_itself_up_to_the_depth_budget():
    depth = limits.MAX_CALL_DEPTH - 1
    html = "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{% else %}bottom{% endif %}{% endmacro %}" + f"{{{{ f({depth}) }}}}"
    compiled = compile_template("Hi", html, "t", click_tracking=False, open_tracking=False, optout_footer=False)
    assert compiled.render(1, contact_context("ann@example.org"), URLS)[1] == "bottom"


# --- a template that fails for some contacts fails those recipients, never the send -----------

POISON = "{% if contact.email != 'sample@example.com' %}{{ 'a'|truncate(-1) }}{% endif %}ok"


def test_a_template_failing_only_for_real_contacts_passes_the_check_and_raises_render_error_per_recipient():
    assert check_template("Hi", POISON, "") == []
    compiled = compile_template("Hi", POISON, "t", click_tracking=False, open_tracking=False, optout_footer=False)
    with pytest.raises(RenderError) as error:  # an AssertionError inside Jinja's truncate
        compiled.render(1, contact_context("ann@example.org"), URLS)
    assert (error.value.problem.part, error.value.problem.line) == ("html", 1)
    assert "expected length >= 3" in error.value.problem.message


def test_the_message_builder_raises_render_error_for_the_poisoned_recipient():
    """The sender builds each message with MessageBuilder.build and marks a RenderError's recipient failed."""
    compiled = compile_template("Hi", POISON, None)
    builder = MessageBuilder(compiled, BuildSettings(site_url="https://mail.example.com", secret_key="s",
                                                     from_email="news@example.com"))
    with pytest.raises(RenderError):
        builder.build(1, "ann@example.org", contact_context("ann@example.org"))
    assert builder.build(2, "sample@example.com", contact_context("sample@example.com")).data


@pytest.mark.parametrize("failing", [
    pytest.param("{{ 'a'|truncate(-1) }}", id="AssertionError"),
    pytest.param("{{ 1 // 0 }}", id="ZeroDivisionError"),
    pytest.param("{{ 'a' + 1 }}", id="TypeError"),
    pytest.param("{{ contact.email.nickname.first }}", id="UndefinedError"),
])
def test_whatever_a_template_raises_for_a_recipient_becomes_a_render_error(failing):
    with pytest.raises(RenderError) as error:
        hidden(failing).render(1, contact_context("evil@example.org", company="Evil"), URLS)
    assert (error.value.problem.part, error.value.problem.line) == ("html", 1)


# --- real emails stay well inside the limits ------------------------------------------------

def test_a_long_personalised_email_renders_with_room_to_spare():
    """A 100 KB email with 40 links, a macro and a loop over 1,000 order lines (ten times a big order)."""
    lines = [{"name": f"Item {n}", "price": f"{n}.00", "qty": n % 5 + 1} for n in range(1000)]
    contact = contact_context("ann@example.org", "Ann", "Lee", "Acme", {"orders": lines})
    links = "".join(f'<p>Story {n} <a href="https://shop.example.com/{n}">Read more</a></p>' + "lorem ipsum " * 250
                    for n in range(40))
    html = ("{% macro price(line) %}{{ line.qty }} x {{ line.price }} {{ '%.2f' % (line.qty * line.price|float) }}"
            "{% endmacro %}<p>Hello {{ contact.first_name|default('there')|title }},</p>" + links +
            "<table>{% for line in contact.orders %}<tr><td>{{ loop.index }}</td><td>{{ line.name|upper }}</td>"
            "<td>{{ price(line) }}</td>{% if line.qty > 3 %}<td>bulk</td>{% endif %}</tr>{% endfor %}</table>")
    assert len(html) > 100_000
    compiled = compile_template("Your order, {{ contact.first_name }}", html, None)
    started = time.perf_counter()
    subject, rendered, text = compiled.render(1, contact, URLS)
    assert time.perf_counter() - started < SECONDS / 4
    assert subject == "Your order, Ann" and "ITEM 999" in rendered and "5 x 999.00 4995.00" in rendered


# --- template size, in the editor and everywhere a template is checked ------------------------

def test_a_part_over_its_length_is_refused_without_being_parsed():
    html = "<p>{{ contact.first_name }}</p>" + "x" * limits.MAX_TEMPLATE_LENGTH["html"]
    started = time.perf_counter()
    problems = check_template("Hi", html, "")
    assert time.perf_counter() - started < 0.1
    assert [(p.part, p.line) for p in problems] == [("html", None)]
    assert problems[0].message == f"too long: {len(html):,} characters, at most 262,144 (Gmail clips an email above 102 KB)"


def test_each_part_has_its_own_length_limit():
    assert check_template("s" * 1996, "h" * 262_144, "t" * 262_144) == []
    over = check_template("s" * 1997, "h" * 262_145, "t" * 262_145)
    assert [(problem.part, problem.message.split(", at most")[0]) for problem in over] == [
        ("subject", "too long: 1,997 characters"),
        ("html", "too long: 262,145 characters"),
        ("text", "too long: 262,145 characters"),
    ]


def test_the_editor_refuses_to_save_an_html_part_over_the_limit(app, marketer_client):
    template_id = a_template().id
    html = "<p>x</p>" * (limits.MAX_TEMPLATE_LENGTH["html"] // 8 + 1)
    response = marketer_client.post(f"/templates/{template_id}", data=editor_form(html=html), htmx=True)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "At most 262,144 characters: Gmail clips an email above 102 KB" in body  # under the field
    assert "HTML</button>: too long: 262,152 characters" in body  # in the problems
    assert versions(app, template_id) == [(1, "<p>Hello</p>")]


def test_preflight_of_a_part_over_the_limit_answers_at_once_with_that_alone(marketer_client):
    html = "<p>x</p>" * (5 * 1024 * 1024 // 8)
    started = time.perf_counter()
    response = marketer_client.post("/templates/preflight", data=editor_form(html=html), htmx=True)
    assert response.status_code == 422 and time.perf_counter() - started < 5  # mostly Werkzeug reading 5 MB
    body = response.get_data(as_text=True)
    assert "Too long: 5,242,880 characters" in body and "Gmail will clip" not in body


def test_the_live_preview_refuses_a_part_over_the_limit(marketer_client):
    template_id = a_template().id
    html = "<p>x</p>" * (limits.MAX_TEMPLATE_LENGTH["html"] // 8 + 1)
    response = marketer_client.post(f"/templates/{template_id}/render", data=editor_form(html=html), htmx=True)
    assert response.status_code == 422
    assert "HTML</button>: too long: 262,152 characters, at most 262,144" in response.get_data(as_text=True)
    assert "too long" in marketer_client.get(f"/templates/{template_id}/preview?draft=1").get_data(as_text=True)


# --- the pages: a refusal is shown, or answered with 422, never a 500 --------------------------

ROUTE_PAYLOADS = [
    pytest.param("{{ 10|round(-999999999) }}", "too big", id="round"),
    pytest.param("{{ 'x'.ljust(10 ** 9) }}", "too big", id="ljust"),
    pytest.param(S10K + "{% for a in s %}{% for b in s %}{{ b }}{% endfor %}{% endfor %}", "too slow", id="nested-loops"),
    pytest.param("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", "too deep", id="macro-recursion"),
    pytest.param("{{ " + "(" * 3000 + "1" + ")" * 3000 + " }}", "syntax error", id="nested-parentheses"),
    pytest.param('<a href="https://example.com/">x</a>' * 2501, "too long", id="too-many-links"),
]


def timed(request):
    started = time.perf_counter()
    response = request()
    return response, time.perf_counter() - started


@pytest.mark.parametrize("payload, refusal", ROUTE_PAYLOADS)
def test_save_answers_422_with_the_refusal(app, marketer_client, payload, refusal):
    template_id = a_template().id
    response, seconds = timed(lambda: marketer_client.post(f"/templates/{template_id}", data=editor_form(html=payload),
                                                           htmx=True))
    assert response.status_code == 422 and seconds < 2 * SECONDS
    assert f"</button>: {refusal}" in response.get_data(as_text=True)
    assert versions(app, template_id) == [(1, "<p>Hello</p>")]


@pytest.mark.parametrize("payload, refusal", ROUTE_PAYLOADS)
def test_live_render_and_preview_show_the_refusal(app, marketer_client, payload, refusal):
    a_contact(first_name="Ann")
    template_id = a_template().id
    response, seconds = timed(lambda: marketer_client.post(f"/templates/{template_id}/render",
                                                           data=editor_form(html=payload), htmx=True))
    assert response.status_code == (422 if refusal == "too long" else 200) and seconds < 2 * SECONDS
    assert refusal in response.get_data(as_text=True)
    preview, seconds = timed(lambda: marketer_client.get(f"/templates/{template_id}/preview?draft=1"))
    assert preview.status_code == 200 and seconds < 2 * SECONDS
    assert refusal in preview.get_data(as_text=True)


@pytest.mark.parametrize("payload, refusal", ROUTE_PAYLOADS)
def test_preflight_shows_the_refusal_as_an_error(marketer_client, payload, refusal):
    response, seconds = timed(lambda: marketer_client.post("/templates/preflight", data=editor_form(html=payload),
                                                           htmx=True))
    assert response.status_code == (422 if refusal == "too long" else 200) and seconds < 2 * SECONDS
    assert refusal.capitalize() in response.get_data(as_text=True)


@pytest.mark.parametrize("payload, refusal", ROUTE_PAYLOADS)
def test_send_test_answers_422_with_the_refusal(app, marketer_client, payload, refusal):
    template_id = a_template().id
    data = dict(editor_form(html=payload), addresses="me@example.com")
    response, seconds = timed(lambda: marketer_client.post(f"/templates/{template_id}/send-test", data=data, htmx=True))
    assert response.status_code == 422 and seconds < 2 * SECONDS
    assert refusal in response.get_data(as_text=True)


@pytest.mark.parametrize("html", [
    pytest.param(POISON, id="fails-for-real-contacts"),
    pytest.param("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", id="macro-recursion"),
    pytest.param("{{ 10|round(-999999999) }}", id="round"),
])
def test_the_editor_and_preview_of_a_saved_failing_template_open(app, marketer_client, html):
    """Saved before these checks, or failing only for real contacts: the pages show the problem."""
    a_contact(first_name="Ann")
    template_id = a_template(html=html).id
    editor = marketer_client.get(f"/templates/{template_id}")
    assert editor.status_code == 200
    preview = marketer_client.get(f"/templates/{template_id}/preview")
    assert preview.status_code == 200 and "The preview appears once these problems are fixed" in preview.get_data(as_text=True)
    preflight = marketer_client.get(f"/templates/{template_id}/preflight")
    assert preflight.status_code == 200


# A tag inside an attribute: the text part made from the HTML keeps {% endif %} but not {% if %}.
TAG_IN_ATTRIBUTE = '<p title="{% if contact.first_name %}hi">Hello{% endif %}</p>'


def test_a_part_that_fails_only_as_prepared_for_sending_is_a_template_problem():
    assert check_template("Hi", TAG_IN_ATTRIBUTE, None) == []
    with pytest.raises(TemplateProblems) as error:
        compile_template("Hi", TAG_IN_ATTRIBUTE, None)
    assert [(p.part, p.message) for p in error.value.problems] == [
        ("text", "syntax error once prepared for sending: Encountered unknown tag 'endif'."),
    ]


def test_the_pages_show_a_part_that_fails_only_as_prepared_for_sending(app, marketer_client):
    template_id = a_template(html=TAG_IN_ATTRIBUTE).id
    assert marketer_client.get(f"/templates/{template_id}").status_code == 200
    preview = marketer_client.get(f"/templates/{template_id}/preview").get_data(as_text=True)
    assert "syntax error once prepared for sending" in preview
    preflight = marketer_client.get(f"/templates/{template_id}/preflight").get_data(as_text=True)
    assert "Syntax error once prepared for sending" in preflight
    data = dict(editor_form(html=TAG_IN_ATTRIBUTE), addresses="me@example.com")
    response = marketer_client.post(f"/templates/{template_id}/send-test", data=data, htmx=True)
    assert response.status_code == 422 and "syntax error once prepared for sending" in response.get_data(as_text=True)
