"""Placeholders: checked, compiled once per template version, rendered per recipient in a sandbox.

Templates are written by marketers, and contact data comes from imports and sign-up forms,
so both are untrusted. Rendering happens in Jinja's ImmutableSandboxedEnvironment with:
no globals (no lipsum, cycler, joiner, namespace or range), a short list of filters (no
`attr`, `format`, `safe`, `center` ...), a short list of methods (str.format refused
outright), autoescape for HTML, and a budget per message that bounds time, memory and
depth (limits.py). The context holds plain dicts and strings, never ORM objects.

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
from jinja2 import TemplateAssertionError, TemplateSyntaxError, Undefined, UndefinedError, meta, nodes
from jinja2.parser import Parser
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from jinja2.utils import missing
from markupsafe import Markup, escape

from webapp.compose import limits
from webapp.compose.links import (
    HIDDEN_LINK, HTML_FOOTER, OPEN_PIXEL, TEXT_FOOTER, Link, ProtectedSource, append_to_body, escape_literal_jinja,
    rewrite_links, shorten_lines,
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
# The methods and attributes a template may use on the values it meets. Others (encode,
# translate, format, int.to_bytes ...) no email needs, and they would make bytes or text
# outside the size checks of limits.py.
_STR_METHODS = frozenset({
    "capitalize", "casefold", "center", "count", "endswith", "expandtabs", "find", "index", "isalnum",
    "isalpha", "isascii", "isdecimal", "isdigit", "isidentifier", "islower", "isnumeric", "isprintable",
    "isspace", "istitle", "isupper", "join", "ljust", "lower", "lstrip", "partition", "removeprefix",
    "removesuffix", "replace", "rfind", "rindex", "rjust", "rpartition", "rsplit", "rstrip", "split",
    "splitlines", "startswith", "strip", "swapcase", "title", "upper", "zfill",
})
_NUMBER_ATTRIBUTES = frozenset({
    "as_integer_ratio", "bit_count", "bit_length", "conjugate", "denominator", "imag", "is_integer", "numerator", "real",
})
SAFE_ATTRIBUTES = {
    str: _STR_METHODS,
    Markup: _STR_METHODS | {"striptags", "unescape"},
    int: _NUMBER_ATTRIBUTES,
    bool: _NUMBER_ATTRIBUTES,
    float: _NUMBER_ATTRIBUTES,
    dict: frozenset({"get", "items", "keys", "values"}),
    list: frozenset({"count", "index"}),
    tuple: frozenset({"count", "index"}),
}
PARTS = ("subject", "html", "text")


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


def _crlf_only(value):
    """A CR or LF inside a value (a multi-line custom field) becomes CRLF, like the template's
    own text, so a rendered part has no bare CR or LF."""
    if isinstance(value, str) and ("\r" in value or "\n" in value):
        normalised = value.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\r\n")
        return Markup(normalised) if isinstance(value, Markup) else normalised
    return value


# Every {{ value }} passes through one of these two: escaped in HTML, CR and LF made CRLF. Its
# block has paid for limits.OUTPUT_ALLOWANCE characters; a longer value pays the rest. They run a
# few dozen times per message sent, so they are written out in full.
_ALLOWANCE = limits.OUTPUT_ALLOWANCE


def _output_html(value):
    text = escape(value if isinstance(value, str) else limits.printable(value))
    if "\r" in text or "\n" in text:
        text = _crlf_only(text)
    if len(text) > _ALLOWANCE:
        limits.spend(len(text) - _ALLOWANCE)
    return text


def _output_text(value):
    text = value if isinstance(value, str) else str(limits.printable(value))
    if "\r" in text or "\n" in text:
        text = _crlf_only(text)
    if len(text) > _ALLOWANCE:
        limits.spend(len(text) - _ALLOWANCE)
    return text


class PlaceholderSandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox, with the hooks of limits.py: every operator, call, filter and
    test, and the code that limits.BudgetedCodeGenerator compiles, charges the render's budget."""

    code_generator_class = limits.BudgetedCodeGenerator
    intercepted_binops = frozenset({"+", "-", "*", "/", "//", "%", "**"})
    # What the compiled template calls (see limits.BudgetedCodeGenerator).
    concat = staticmethod(limits.joined)
    concatenated = staticmethod(limits.concatenated)
    counted = staticmethod(limits.counted)
    made = staticmethod(limits.made)
    output_html = staticmethod(_output_html)
    output_text = staticmethod(_output_text)
    step = staticmethod(limits.step)
    weighed = staticmethod(limits.weighed)

    def call_binop(self, context, operator, left, right):
        limits.check_binop(operator, left, right)
        return limits.made(super().call_binop(context, operator, left, right))

    def call(__self, __context, __obj, *args, **kwargs):  # Jinja's signature: no name clashes with kwargs
        limit = limits.check_call(__obj, args, kwargs)
        args = limits.enter_call(__obj, args)
        try:
            result = super().call(__context, __obj, *args, **kwargs)
        finally:
            limits.leave_call()
        return limits.made(result, limit)

    # The sandbox's own str.format wrapper has had escapes (CVE-2024-56326, CVE-2025-27516);
    # templates have no use for it, so it is refused instead of wrapped.
    def wrap_str_format(self, value):
        return None

    def is_safe_attribute(self, obj, attr, value):
        allowed = SAFE_ATTRIBUTES.get(type(obj))
        if allowed is not None and attr not in allowed:
            return False
        return super().is_safe_attribute(obj, attr, value)

    def _parse(self, source, name, filename):
        """Environment._parse, refusing a template too deeply nested to parse or compile: where
        the parser's recursion gives out, or where limits.nesting_problem finds it."""
        parser = Parser(self, source, name, filename)
        try:
            tree = parser.parse()
        except RecursionError:
            raise TemplateSyntaxError("the template nests too deeply", parser.stream.current.lineno, name, filename) from None
        except ValueError:  # from int(): Python reads at most 4,300 digits
            raise TemplateSyntaxError("a number in the template is too long", parser.stream.current.lineno, name, filename) from None
        too_deep = limits.nesting_problem(tree)
        if too_deep:
            raise TemplateSyntaxError(*too_deep, name, filename)
        return tree


def _environment(autoescape):
    # CRLF output (template text via newline_sequence, values via output_html/output_text and,
    # when constant, finalize): the MIME builder then needs no line-ending pass over every message.
    env = PlaceholderSandbox(autoescape=autoescape, undefined=PlaceholderUndefined, keep_trailing_newline=True,
                             newline_sequence="\r\n", finalize=_crlf_only)
    env.globals.clear()
    env.filters = {name: limits.bounded_filter(name, env.filters[name]) for name in ALLOWED_FILTERS}
    env.tests = {name: limits.bounded_test(test) for name, test in env.tests.items()}
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
    """Rendering failed for one recipient (a runtime error the preflight check could not see).

    Whatever the template raised becomes a RenderError, so a template that fails for some
    contacts (say, on data only they have) fails those recipients, never the whole send.
    """

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
    """A part's Template, from its source or from the tree that parse() made of it."""
    env = ENVIRONMENTS[part]
    # The filename names the part in tracebacks, which is how runtime errors get their line.
    return env.template_class.from_code(env, env.compile(source, name=part, filename=part), env.make_globals(None))


def _error_line(error, part):
    if getattr(error, "lineno", None):
        return error.lineno
    frames = [frame for frame in traceback.extract_tb(error.__traceback__) if frame.filename == part]
    return frames[-1].lineno if frames else None


def _problem(part, error):
    message = getattr(error, "message", None) or str(error) or type(error).__name__
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


def size_problems(subject, html, text):
    """A Problem for each part longer than limits.MAX_TEMPLATE_LENGTH allows or with more than
    limits.MAX_TAGS tags, found without parsing (which takes seconds for such a part). A tracked
    link counts as a tag: compile_template makes it a {{ }} placeholder."""
    problems = []
    for part, source in zip(PARTS, (subject, html, text or "")):
        tags = source.count("{{") + source.count("{%") + (source.lower().count("href") if part == "html" else 0)
        if len(source) > limits.MAX_TEMPLATE_LENGTH[part]:
            clipped = " (Gmail clips an email above 102 KB)" if part != "subject" else ""
            problems.append(Problem(part, None, f"too long: {len(source):,} characters, at most "
                                                f"{limits.MAX_TEMPLATE_LENGTH[part]:,}{clipped}"))
        elif tags > limits.MAX_TAGS:
            problems.append(Problem(part, None, f"too long: {tags:,} placeholders, tags and links, "
                                                f"at most {limits.MAX_TAGS:,}"))
    return problems


def check_template(subject, html, text, known_fields=None, tracking_url_names=()):
    """Every problem in a template, as Problem(part, line, message), in part order.

    `known_fields` is the set of custom contact field names (None: do not check fields);
    `tracking_url_names` the names of the existing TrackingUrls. A part that passes the static
    checks is also rendered once with sample data, which surfaces sandbox refusals and limits.
    """
    too_big = size_problems(subject, html, text)
    if too_big:
        return too_big
    problems, templates = [], []
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
                templates.append((part, _compile(part, tree)))
            except Exception as error:  # Python's own compiler can refuse what Jinja generated
                problems.append(_problem(part, error))
    problems += _sample_render_problems(templates, _sample_context(known_fields, set(tracking_url_names)))
    return sorted(problems, key=lambda problem: PARTS.index(problem.part))


def _sample_render_problems(templates, sample):
    """Renders the parts with sample data on one budget, as a send renders a message. A part over
    a limit has spent what the next would need, so rendering stops there."""
    problems = []
    with limits.Budget():
        for part, template in templates:
            try:
                template.render(sample)
            except limits.LimitExceeded as error:
                problems.append(_problem(part, error))
                break
            except Exception as error:  # whatever the template raised is its problem to show
                problems.append(_problem(part, error))
    return problems


@dataclass
class CompiledTemplate:
    """One template version prepared for one send: compiled parts plus the link table.

    `links` numbers every tracked link (index -> destination); a click token carries the
    index and `version_id`, so the redirect needs this table, never a URL from the request.
    """

    subject: object
    html: object
    text: object
    links: list[Link]
    click_tracking: bool
    tracking_url_destinations: dict[str, str]
    base_context: dict = field(default_factory=dict)
    version_id: int = 0  # the TemplateVersion compiled; 0 for a preview or a test

    def __post_init__(self):
        self.tracking_url_indexes = {link.tracking_url_name: link.index for link in self.links if link.tracking_url_name}

    def render(self, recipient_id, contact, urls):
        """(subject, html, text) for one recipient. `urls` is a tokens.TrackingUrls."""
        if self.click_tracking:
            click_urls = urls.click_urls(recipient_id, self.version_id, len(self.links))
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
        with limits.Budget():
            for part, template in zip(PARTS, (self.subject, self.html, self.text)):
                try:
                    rendered.append(template.render(context))
                except Exception as error:  # any error is this recipient's alone: see RenderError
                    raise RenderError(_problem(part, error)) from error
        subject, html, text = rendered
        return " ".join(subject.split()), html, text  # a header is one line: no CR/LF from contact data


_CSS_INLINER = css_inline.CSSInliner(keep_style_tags=True, load_remote_stylesheets=False)


def _uses_placeholder(part, source, name):
    return name in meta.find_undeclared_variables(_prepared_tree(part, source))


def _prepared_tree(part, source):
    """A part as it will be sent, parsed. It can fail though the template passed its check: a
    text part made from the HTML loses the tags that sat in attributes, say."""
    try:
        return ENVIRONMENTS[part].parse(source)
    except TemplateSyntaxError as error:
        problem = Problem(part, error.lineno, f"syntax error once prepared for sending: {error.message}")
        raise TemplateProblems([problem]) from error


def compile_template(subject, html, text=None, tracking_urls=None, *, click_tracking=True, open_tracking=True,
                     optout_footer=True, postal_address="", version_id=0, hidden_link=False):
    """Prepare a template version for sending: done once per send, not per recipient.

    In order: links become click-URL placeholders (link table), the text part is generated
    from the HTML when blank, CSS is inlined, the opt-out footer is appended where a part has
    no unsubscribe_url (when `optout_footer`, i.e. the mandatory opt-out setting), and the
    open pixel is added, and with `hidden_link` a tracked link no person can see. Raises TemplateProblems when check_template finds problems, or when a
    part as prepared fails to parse. `tracking_urls` maps TrackingUrl names to destinations.
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

    if optout_footer and not _uses_placeholder("html", html_source, "unsubscribe_url"):
        html_source = append_to_body(html_source, HTML_FOOTER)
    if optout_footer and not _uses_placeholder("text", text_source, "unsubscribe_url"):
        text_source = text_source.rstrip("\n") + TEXT_FOOTER
    if open_tracking:
        html_source = append_to_body(html_source, OPEN_PIXEL)
    if click_tracking and hidden_link:  # the link only machines follow (events/bots.py)
        links.append(Link(len(links), "", hidden=True))
        html_source = append_to_body(html_source, HIDDEN_LINK.format(index=links[-1].index))

    trees = [_prepared_tree(part, source) for part, source in zip(PARTS, (subject, html_source, text_source))]
    if click_tracking:
        seen = []
        for tree in trees:
            for name, _line in _tracking_url_calls(tree):
                if name not in seen:
                    seen.append(name)
        links += [Link(len(links) + offset, tracking_urls[name], name) for offset, name in enumerate(seen)]

    subject_template, html_template, text_template = [_compile(part, tree) for part, tree in zip(PARTS, trees)]
    return CompiledTemplate(
        subject=subject_template,
        html=html_template,
        text=text_template,
        links=links,
        click_tracking=click_tracking,
        tracking_url_destinations=dict(tracking_urls),
        base_context={"_postal_address": postal_address},
        version_id=version_id,
    )
