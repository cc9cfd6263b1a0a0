"""HTML source transformations done once per template version: links, footer, pixel.

They work on the template *source*, before any recipient is rendered, so every recipient
shares one link table (index -> destination) and only the signed tokens differ per
recipient. Jinja tags in the source are first swapped for markers (ProtectedSource), so an
HTML tool (the CSS inliner, html2text, our tag scanner) can never mangle a placeholder,
and the markers are swapped back afterwards (ProtectedSource.restore).
"""
import html
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

# A Jinja tag: {{ expression }}, {% statement %} or {# comment #}.
JINJA_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
# Private-use code points: they never occur in real text and survive both html5ever and html2text.
MARKER = re.compile(r"<!--\ue000(\d+)\ue001-->|\ue000(\d+)\ue001")

# The markup around a marker decides how it must be hidden: an HTML comment where it sits in
# text (so the HTML5 parser of the CSS inliner never foster-parents `{% for %}` out of a
# <table>), the bare marker inside tags and inside existing comments (Outlook's <!--[if mso]>).
_HTML_PIECE = re.compile(
    r"<!--.*?-->"                                           # comment, incl. conditional comments
    r"|<[a-zA-Z/!?](?:\"[^\"]*\"|'[^']*'|[^'\">])*>"       # tag; quoted values may hold ">"
    r"|[^<]+|<",
    re.S,
)
# "{{" that a tool produced from entities (&#123;&#123;) is text, not template code.
_JINJA_OPENER = re.compile(r"\{(?=[{%#])")
_ATTRIBUTE = re.compile(r"""([^\s"'>/=]+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s"'=<>`]+))?""")
_A_TAG = re.compile(r"<a(?=[\s>/])", re.I)
_TAG_NAME = re.compile(r"<[/!?]?[^\s/>]*")
_RAW_TEXT_ELEMENTS = ("title", "style", "script", "textarea")


def _attributes(tag):
    """The attribute matches of a tag (name in group 1, raw value in group 2), after its name."""
    return _ATTRIBUTE.finditer(tag, _TAG_NAME.match(tag).end(), len(tag) - 1)


@dataclass(frozen=True)
class Link:
    """One tracked link of a template version. `tracking_url_name` is set for tracking_url() links;
    `hidden` for the link no person can see, which only machines follow (events/bots.py)."""

    index: int
    destination: str
    tracking_url_name: str | None = None
    hidden: bool = False


class ProtectedSource:
    """An HTML source whose Jinja tags are markers; new Jinja tags can be added as markers too."""

    def __init__(self, source):
        self.tags = []
        # Marker characters typed into the source would be read back as markers: drop them.
        source = source.replace("\ue000", "").replace("\ue001", "")
        self.text = JINJA_TAG.sub(lambda match: self.marker(match.group()), source)

    def marker(self, jinja_tag):
        self.tags.append(jinja_tag)
        return f"\ue000{len(self.tags) - 1}\ue001"

    def hide_text_markers_in_comments(self):
        """Wrap markers that stand in text in comments, for an HTML5 parser (see _HTML_PIECE).

        Not inside <title>, <style>, <script> or <textarea>: their text is raw, a comment there
        would be text, and the bare marker is safe anyway."""
        pieces, raw_element = [], None
        for piece in _HTML_PIECE.findall(self.text):
            if piece.startswith("<"):
                name = _TAG_NAME.match(piece).group().lower()
                if raw_element is None and name[1:] in _RAW_TEXT_ELEMENTS:
                    raw_element = name[1:]
                elif raw_element is not None and name == f"</{raw_element}":
                    raw_element = None
                pieces.append(piece)
            else:
                pieces.append(piece if raw_element else MARKER.sub(lambda m: f"<!--{m.group()}-->", piece))
        self.text = "".join(pieces)

    def restore(self, text=None):
        return MARKER.sub(lambda m: self.tags[int(m.group(1) or m.group(2))], self.text if text is None else text)


def escape_literal_jinja(text):
    """Make literal "{{", "{%" and "{#" in marker-protected text print as themselves."""
    return _JINJA_OPENER.sub("{{ '{' }}", text)


def is_trackable(href):
    """True for absolute http(s) URLs with a host; everything else is left as written."""
    try:
        parts = urlsplit(href)
        return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
    except ValueError:  # e.g. an invalid IPv6 host
        return False


# What a tracked href becomes: the recipient's click URL, from the list CompiledTemplate.render passes.
CLICK_URL_PLACEHOLDER = "{{{{ _links[{index}] }}}}"


def rewrite_links(protected):
    """Replace each trackable <a href> with a marker for the recipient's click URL.

    Returns the link table, in document order. Left untouched: mailto:, tel:, #anchors,
    relative and malformed hrefs, and hrefs holding placeholders (unsubscribe_url,
    view_in_browser_url, tracking_url() and personalised URLs, whose destination differs
    per recipient). `data-notrack` keeps a link untracked and is removed from the output.
    """
    links = []

    def rewrite_tag(tag):
        attributes = list(_attributes(tag))
        names = {match.group(1).lower() for match in attributes}
        notrack = "data-notrack" in names
        out, position = [], 0
        for match in attributes:
            name, quoted = match.group(1).lower(), match.group(2)
            if name == "data-notrack":
                out.append(tag[position:match.start()].rstrip())
                position = match.end()
            elif name == "href" and quoted is not None and not notrack:
                href = html.unescape(quoted.strip("\"'")).strip()
                if "\ue000" not in href and is_trackable(href):
                    link = Link(len(links), href)
                    links.append(link)
                    out.append(tag[position:match.start(2)])
                    out.append('"' + protected.marker(CLICK_URL_PLACEHOLDER.format(index=link.index)) + '"')
                    position = match.end()
        out.append(tag[position:])
        return "".join(out)

    protected.text = "".join(
        rewrite_tag(piece) if _A_TAG.match(piece) else piece for piece in _HTML_PIECE.findall(protected.text)
    )
    return links


WRAP_AFTER = 100
_BREAKABLE = re.compile(r"[ \t]+(?=\S)")


def wrap_text(text):
    """Each white-space run that ends a line's first WRAP_AFTER or more characters becomes a line break.

    A search from each line's start, so a 80,000-character word costs one pass (a regular
    expression with a lazy {100,} rescanned the rest of the text from every position)."""
    out, start = [], 0
    while True:
        line_end = text.find("\n", start)
        limit = len(text) if line_end < 0 else line_end
        gap = _BREAKABLE.search(text, start + WRAP_AFTER, limit) if limit - start > WRAP_AFTER else None
        if gap is None:
            if line_end < 0:
                out.append(text[start:])
                return "".join(out)
            out.append(text[start:line_end + 1])
            start = line_end + 1
        else:
            out.append(text[start:gap.start()] + "\n")
            start = gap.end()


_RAW_WHITESPACE = re.compile(r"<(pre|textarea)[\s>]", re.I)


def shorten_lines(protected):
    """Break long lines where HTML treats a line break like a space: between the attributes
    of a tag, and between words of text (unless the page has <pre> or <textarea>).

    Short lines let most messages go out as 7bit text, which costs nothing to encode;
    quoted-printable for a 30 KB body costs more than rendering it (see mime.encode_body).
    """
    wraps = not _RAW_WHITESPACE.search(protected.text)
    pieces = []
    for piece in _HTML_PIECE.findall(protected.text):
        if piece.startswith("<!--") or len(piece) < 100:
            pieces.append(piece)
        elif piece.startswith("<") and len(piece) > 1:
            pieces.append(_break_between_attributes(piece))
        else:
            pieces.append(wrap_text(piece) if wraps else piece)
    protected.text = "".join(pieces)


def _break_between_attributes(tag):
    out, position = [], 0
    for match in _attributes(tag):
        gap = tag[position:match.start()]
        if gap.isspace():
            out.append("\n")
        else:
            out.append(gap)
        out.append(match.group())
        position = match.end()
    out.append(tag[position:])
    return "".join(out)


_BODY_END = re.compile(r"</body\s*>", re.I)


def append_to_body(source, markup):
    """Insert markup just before </body>, or at the end when the source has no body tag."""
    matches = list(_BODY_END.finditer(source))
    if not matches:
        return source + markup
    at = matches[-1].start()
    return source[:at] + markup + source[at:]


# The opt-out footer. The postal address comes in through the context, never pasted into the
# source, so an address containing "{{" cannot become template code.
HTML_FOOTER = (
    '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0"><tr>'
    '<td style="padding:24px 12px;font-family:Arial,sans-serif;font-size:12px;line-height:18px;color:#6b7280;text-align:center">'
    'You receive this email because you subscribed to our mailings. '
    '<a href="{{ unsubscribe_url }}" style="color:#6b7280;text-decoration:underline">Unsubscribe</a>'
    "{% if _postal_address %}<br>{{ _postal_address }}{% endif %}"
    "</td></tr></table>"
)
TEXT_FOOTER = (
    "\n\n-- \nYou receive this email because you subscribed to our mailings.\n"
    "Unsubscribe: {{ unsubscribe_url }}\n"
    "{% if _postal_address %}{{ _postal_address }}\n{% endif %}"
)
# A link no person sees or can reach by keyboard; security scanners follow every href.
HIDDEN_LINK = (
    '<a href="{{{{ _links[{index}] }}}}" aria-hidden="true" tabindex="-1" '
    'style="display:none;font-size:0;line-height:0;max-height:0;overflow:hidden;mso-hide:all"></a>'
)
OPEN_PIXEL = (
    '<img src="{{ _open_pixel_url }}" width="1" height="1" alt="" '
    'style="display:block;width:1px;height:1px;border:0;margin:0;padding:0">'
)
