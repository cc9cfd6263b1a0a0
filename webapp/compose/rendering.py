"""Placeholders: checked, compiled once per template version, rendered per recipient in a sandbox.

Templates are written by marketers, and contact data comes from imports and sign-up forms,
so both are untrusted. Rendering happens in Jinja's ImmutableSandboxedEnvironment with:
no globals (no lipsum, cycler, joiner, namespace or range), a short list of filters (no
`attr`, `format`, `safe`, `center` ...), str.format refused outright, size limits on `*`
and `**`, autoescape for HTML. The context holds plain dicts and strings, never ORM objects.

Undefined values: an unknown top-level name (`{{ config }}`) is an error, as with
StrictUndefined; an unknown *key* of a known object (`contact.nickname`) renders as empty,
so one contact without a custom field never stops a send. Empty contact fields are left out
of `contact`, so `{{ contact.first_name | default("there") }}` gives "there" both when the
field is missing and when it is blank (no need for Jinja's `default("there", true)`).
A SecurityError is never swallowed: it surfaces as a template problem.
"""
import traceback
from dataclasses import dataclass, field

import css_inline
from jinja2 import TemplateAssertionError, TemplateError, TemplateSyntaxError, Undefined, UndefinedError, meta, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from jinja2.utils import missing
from markupsafe import Markup

from webapp.compose.links import (
    HTML_FOOTER, OPEN_PIXEL, TEXT_FOOTER, Link, ProtectedSource, append_to_body, escape_literal_jinja, rewrite_links,
    shorten_lines,
)
from webapp.compose.text import html_to_text

# What templates may name. Names starting with "_" are filled in by the engine itself.
PLACEHOLDERS = ("contact", "unsubscribe_url", "view_in_browser_url", "tracking_url")
STANDARD_CONTACT_FIELDS = ("email", "first_name", "last_name", "company")
ALLOWED_FILTERS = (
    "abs", "capitalize", "count", "d", "default", "e", "escape", "first", "float", "int", "join", "last",
    "length", "lower", "replace", "round", "string", "striptags", "title", "trim", "truncate", "upper",
    "urlencode", "wordcount",
)
# `*` and `**` are the two operators that can make a huge value from a small template.
MAX_PRODUCT_LENGTH = 10_000
MAX_EXPONENT = 64
PARTS = ("subject", "html", "text")
# What a template can raise while rendering: Jinja's errors (SecurityError and UndefinedError
# among them) and the ordinary ones of operations on contact data ("a" + 1, int("x"), [][0]).
RENDER_ERRORS = (TemplateError, TypeError, ValueError, ArithmeticError, LookupError)


class PlaceholderUndefined(Undefined):
    """Strict for unknown top-level names and unsafe access, lenient for missing keys (see above)."""

    __slots__ = ()

    def _is_strict(self):
        return self._undefined_obj is missing or self._undefined_exception is not UndefinedError

    def __str__(self):
        if self._is_strict():
            self._fail_with_undefined_error()
        return ""

    def __iter__(self):
        if self._is_strict():
            self._fail_with_undefined_error()
        return iter(())

    def __bool__(self):
        if self._is_strict():
            self._fail_with_undefined_error()
        return False

    def __len__(self):
        if self._is_strict():
            self._fail_with_undefined_error()
        return 0

    __html__ = __str__


class PlaceholderSandbox(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context, operator, left, right):
        if operator == "**" and isinstance(right, (int, float)) and abs(right) > MAX_EXPONENT:
            raise SecurityError(f"exponents above {MAX_EXPONENT} are not allowed in templates")
        if operator == "*":
            for sized, times in ((left, right), (right, left)):
                if isinstance(sized, (str, list, tuple)) and isinstance(times, int) and len(sized) * times > MAX_PRODUCT_LENGTH:
                    raise SecurityError(f"results longer than {MAX_PRODUCT_LENGTH} are not allowed in templates")
        return super().call_binop(context, operator, left, right)

    # The sandbox's own str.format wrapper has had escapes (CVE-2024-56326, CVE-2025-27516);
    # templates have no use for it, so it is refused instead of wrapped.
    def wrap_str_format(self, value):
        return None

    def is_safe_attribute(self, obj, attr, value):
        if isinstance(obj, str) and attr in ("format", "format_map"):
            return False
        return super().is_safe_attribute(obj, attr, value)


def _crlf_only(value):
    """Every {{ output }} passes here: a CR or LF inside a value (a multi-line custom field)
    becomes CRLF, like the template's own text, so a rendered part has no bare CR or LF."""
    if isinstance(value, str) and ("\r" in value or "\n" in value):
        normalised = value.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\r\n")
        return Markup(normalised) if isinstance(value, Markup) else normalised
    return value


def _environment(autoescape):
    # CRLF output (template text via newline_sequence, values via finalize): the MIME builder
    # then needs no line-ending pass over every message.
    env = PlaceholderSandbox(autoescape=autoescape, undefined=PlaceholderUndefined, keep_trailing_newline=True,
                             newline_sequence="\r\n", finalize=_crlf_only)
    env.globals.clear()
    env.filters = {name: env.filters[name] for name in ALLOWED_FILTERS}
    return env


HTML_ENV = _environment(autoescape=True)
TEXT_ENV = _environment(autoescape=False)  # subject and text part: no HTML entities in plain text
ENVIRONMENTS = {"subject": TEXT_ENV, "html": HTML_ENV, "text": TEXT_ENV}


@dataclass(frozen=True)
class Problem:
    part: str  # "subject", "html" or "text"
    line: int | None
    message: str

    def __str__(self):
        where = f"{self.part}, line {self.line}" if self.line else self.part
        return f"{where}: {self.message}"


class TemplateProblems(Exception):
    def __init__(self, problems):
        self.problems = problems
        super().__init__("; ".join(map(str, problems)))


class RenderError(Exception):
    """Rendering failed for one recipient (a runtime error the preflight check could not see)."""

    def __init__(self, problem):
        self.problem = problem
        super().__init__(str(problem))


def merge_values_of(first_name, last_name, company, custom_fields):
    """A contact's fields as contact_context takes them, kept with a sent message to render it again."""
    return {"first_name": first_name or "", "last_name": last_name or "", "company": company or "",
            "custom_fields": custom_fields or {}}


def contact_context(email, first_name="", last_name="", company="", custom_fields=None):
    """The `contact` placeholder: a plain dict. Custom fields are under contact.<key> and
    contact.custom.<key>; the standard fields win a name clash. Blank values are left out."""
    custom = {key: value for key, value in (custom_fields or {}).items() if value not in (None, "")}
    contact = {key: value for key, value in custom.items() if isinstance(key, str)}
    contact.update(email=email)
    for name, value in (("first_name", first_name), ("last_name", last_name), ("company", company)):
        if value:
            contact[name] = value
        else:
            contact.pop(name, None)
    contact["custom"] = custom
    return contact


def _compile(part, source):
    env = ENVIRONMENTS[part]
    # The filename names the part in tracebacks, which is how runtime errors get their line.
    return env.template_class.from_code(env, env.compile(source, name=part, filename=part), env.make_globals(None))


def _error_line(error, part):
    if getattr(error, "lineno", None):
        return error.lineno
    frames = [frame for frame in traceback.extract_tb(error.__traceback__) if frame.filename == part]
    return frames[-1].lineno if frames else None


def _problem(part, error):
    message = getattr(error, "message", None) or str(error)
    if isinstance(error, SecurityError):
        message = f"not allowed: {message}"
    return Problem(part, _error_line(error, part), message)


def _tracking_url_calls(tree):
    """(name or None, line) for every tracking_url(...) call; None when the name is not a literal."""
    for call in tree.find_all(nodes.Call):
        if isinstance(call.node, nodes.Name) and call.node.name == "tracking_url":
            argument = call.args[0] if len(call.args) == 1 and not call.kwargs else None
            literal = argument.value if isinstance(argument, nodes.Const) and isinstance(argument.value, str) else None
            yield literal, call.lineno


def _static_problems(part, tree, undeclared, known_fields, tracking_url_names):
    problems = []
    unknown = (undeclared - set(PLACEHOLDERS)) | {"self"}
    for name in tree.find_all(nodes.Name):
        if name.ctx == "load" and name.name in unknown:
            problems.append(Problem(part, name.lineno, f"unknown placeholder {name.name!r}"))
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        key = _key(node)
        if key is not None and key.startswith("_"):
            problems.append(Problem(part, node.lineno, f"not allowed: attribute {key!r}"))
        elif known_fields is not None and _reads_contact(node):
            allowed = set(known_fields) if _reads_contact(node.node) else {*known_fields, *STANDARD_CONTACT_FIELDS, "custom"}
            if key not in allowed:
                problems.append(Problem(part, node.lineno, f"unknown contact field {key!r}"))
    for node in tree.find_all((nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)):
        problems.append(Problem(part, node.lineno, "include, import and extends are not available in emails"))
    for name, line in _tracking_url_calls(tree):
        if name is None:
            problems.append(Problem(part, line, 'tracking_url() takes one quoted name, e.g. tracking_url("Pricing")'))
        elif name not in tracking_url_names:
            problems.append(Problem(part, line, f"unknown tracking URL {name!r}"))
    return problems


def _key(node):
    """The literal name read by x.name or x["name"], else None."""
    if isinstance(node, nodes.Getattr):
        return node.attr
    if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
        return node.arg.value
    return None


def _reads_contact(node):
    """True for contact.<field> and contact.custom.<field> (attribute or ["key"] access)."""
    if not isinstance(node, (nodes.Getattr, nodes.Getitem)) or _key(node) is None:
        return False
    parent = node.node
    if isinstance(parent, nodes.Name):
        return parent.name == "contact"
    return _key(parent) == "custom" and isinstance(parent.node, nodes.Name) and parent.node.name == "contact"


def _sample_context(known_fields, tracking_url_names):
    fields = {name: f"sample {name}" for name in known_fields or ()}
    return {
        "contact": contact_context("sample@example.com", "Sample", "Person", "Sample Inc", fields),
        "unsubscribe_url": "https://example.com/unsubscribe",
        "view_in_browser_url": "https://example.com/view",
        "tracking_url": lambda name: f"https://example.com/{name}" if name in tracking_url_names else "",
    }


def check_template(subject, html, text, known_fields=None, tracking_url_names=()):
    """Every problem in a template, as Problem(part, line, message), in part order.

    `known_fields` is the set of custom contact field names (None: do not check fields);
    `tracking_url_names` the names of the existing TrackingUrls. A part that passes the static
    checks is also rendered once with sample data, which surfaces sandbox refusals.
    """
    problems = []
    sample = _sample_context(known_fields, set(tracking_url_names))
    for part, source in zip(PARTS, (subject, html, text or "")):
        try:
            tree = ENVIRONMENTS[part].parse(source)
            undeclared = meta.find_undeclared_variables(tree)  # also compiles: unknown filters fail here
        except TemplateAssertionError as error:
            problems.append(Problem(part, error.lineno, error.message))
            continue
        except TemplateSyntaxError as error:
            problems.append(Problem(part, error.lineno, f"syntax error: {error.message}"))
            continue
        found = sorted(_static_problems(part, tree, undeclared, known_fields, set(tracking_url_names)),
                       key=lambda problem: problem.line or 0)
        problems.extend(found)
        if not found:
            try:
                _compile(part, source).render(sample)
            except RENDER_ERRORS as error:
                problems.append(_problem(part, error))
    return problems


@dataclass
class CompiledTemplate:
    """One template version prepared for one send: compiled parts plus the link table.

    `links` numbers every tracked link (index -> destination); a click token carries the
    index, so the redirect needs this table, never a URL from the request.
    """

    subject: object
    html: object
    text: object
    links: list[Link]
    click_tracking: bool
    tracking_url_destinations: dict[str, str]
    base_context: dict = field(default_factory=dict)

    def __post_init__(self):
        self.tracking_url_indexes = {link.tracking_url_name: link.index for link in self.links if link.tracking_url_name}

    def render(self, recipient_id, contact, urls):
        """(subject, html, text) for one recipient. `urls` is a tokens.TrackingUrls."""
        if self.click_tracking:
            click_urls = urls.click_urls(recipient_id, len(self.links))
            indexes = self.tracking_url_indexes
            tracking_url = lambda name: click_urls[indexes[name]] if name in indexes else ""  # noqa: E731
        else:
            click_urls = []
            tracking_url = self.tracking_url_destinations.get
        context = dict(
            self.base_context,
            contact=contact,
            unsubscribe_url=urls.unsubscribe_url(recipient_id),
            view_in_browser_url=urls.view_url(recipient_id),
            tracking_url=tracking_url,
            _links=click_urls,
            _open_pixel_url=urls.open_pixel_url(recipient_id),
        )
        rendered = []
        for part, template in zip(PARTS, (self.subject, self.html, self.text)):
            try:
                rendered.append(template.render(context))
            except RENDER_ERRORS as error:
                raise RenderError(_problem(part, error)) from error
        subject, html, text = rendered
        return " ".join(subject.split()), html, text  # a header is one line: no CR/LF from contact data


_CSS_INLINER = css_inline.CSSInliner(keep_style_tags=True, load_remote_stylesheets=False)


def _uses_placeholder(source, name):
    return name in meta.find_undeclared_variables(HTML_ENV.parse(source))


def compile_template(subject, html, text=None, tracking_urls=None, *, click_tracking=True, open_tracking=True,
                     optout_footer=True, postal_address=""):
    """Prepare a template version for sending: done once per send, not per recipient.

    In order: links become click-URL placeholders (link table), the text part is generated
    from the HTML when blank, CSS is inlined, the opt-out footer is appended where a part has
    no unsubscribe_url (when `optout_footer`, i.e. the mandatory opt-out setting), and the
    open pixel is added. Raises TemplateProblems when check_template finds problems.
    `tracking_urls` maps TrackingUrl names to destinations.
    """
    tracking_urls = tracking_urls or {}
    problems = check_template(subject, html, text, tracking_url_names=tracking_urls)
    if problems:
        raise TemplateProblems(problems)

    protected = ProtectedSource(html)
    links = rewrite_links(protected) if click_tracking else []
    text_source = text if text and text.strip() else protected.restore(html_to_text(protected.text))
    if "<style" in html.lower() or "<link" in html.lower():
        protected.hide_text_markers_in_comments()
        protected.text = escape_literal_jinja(_CSS_INLINER.inline(protected.text))
    shorten_lines(protected)
    html_source = protected.restore()

    if optout_footer and not _uses_placeholder(html_source, "unsubscribe_url"):
        html_source = append_to_body(html_source, HTML_FOOTER)
    if optout_footer and not _uses_placeholder(text_source, "unsubscribe_url"):
        text_source = text_source.rstrip("\n") + TEXT_FOOTER
    if open_tracking:
        html_source = append_to_body(html_source, OPEN_PIXEL)

    if click_tracking:
        seen = []
        for source in (subject, html_source, text_source):
            for name, _line in _tracking_url_calls(HTML_ENV.parse(source)):
                if name not in seen:
                    seen.append(name)
        links += [Link(len(links) + offset, tracking_urls[name], name) for offset, name in enumerate(seen)]

    return CompiledTemplate(
        subject=_compile("subject", subject),
        html=_compile("html", html_source),
        text=_compile("text", text_source),
        links=links,
        click_tracking=click_tracking,
        tracking_url_destinations=dict(tracking_urls),
        base_context={"_postal_address": postal_address},
    )
