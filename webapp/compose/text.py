"""The plain-text part, generated from the HTML when a template has none."""
import html2text

from webapp.compose.links import escape_literal_jinja


def html_to_text(protected_html):
    """Readable text with links as [label](url), from HTML whose Jinja tags are markers.

    Runs once per template version: html2text is pure Python and far too slow per recipient.
    """
    converter = html2text.HTML2Text()
    converter.ignore_images = True  # alt texts of logos and spacers are noise in a text mail
    converter.body_width = 78
    converter.unicode_snob = True  # keep "é" rather than "e"
    # html2text ends lines with two spaces where Markdown wants a hard break: noise in text/plain,
    # and they would cost DKIM's relaxed canonicalisation a pass over every message.
    lines = converter.handle(protected_html).strip().split("\n")
    return escape_literal_jinja("\n".join(line.rstrip() for line in lines) + "\n")
