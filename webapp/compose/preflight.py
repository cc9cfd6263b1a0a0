"""Preflight lint: what to fix or know before a template goes to thousands of people.

Each Finding says what was found, where, and why it matters in words a marketer acts on
(spam filtering, a clipped message, the law, people who cannot see images). Severities:
  error   - the email cannot be sent as it is, or breaks the law or the unsubscribe link;
  warning - it will send, but it hurts delivery or readers: fix it unless you mean it;
  info    - what Mailroom will do for you (footer, generated text part).
Template problems come from rendering.check_template, the same check that guards sending,
so preflight and the send never disagree about what is valid.
"""
import ipaddress
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urlsplit

from jinja2 import TemplateError, meta

from webapp.compose.links import JINJA_TAG, ProtectedSource, is_trackable
from webapp.compose.rendering import (
    ENVIRONMENTS, RenderError, TemplateProblems, check_template, compile_template, contact_context, size_problems,
)
from webapp.compose.text import html_to_text
from webapp.compose.tokens import TokenSigner, TrackingUrls

SEVERITIES = ("error", "warning", "info")
PART_LABELS = {"subject": "Subject", "html": "HTML", "text": "Text part"}

# Gmail shows "[Message clipped]" and hides the rest, footer and open pixel included, above 102 KB
# of HTML. Click-tracking URLs and inlined CSS add to what was typed, so the rendered size counts.
GMAIL_CLIP_BYTES = 102 * 1024
NEAR_CLIP_BYTES = 90 * 1024
MAX_DISTINCT_LINKS = 25
# Fewer words than this in the HTML means it is essentially an image (or empty) to a filter.
MIN_TEXT_WORDS = 10
# Shouting is judged on subjects with at least this many letters, so "IBM Q3" or "NEW" passes.
MIN_CAPS_LETTERS = 12
CAPS_SHARE = 0.8
# Phrases that content filters (SpamAssassin rules, ESP checkers) score in subject lines. Modest on
# purpose: a word like "free" alone is ordinary marketing and flagging it would teach people to ignore us.
SPAM_PHRASES = (
    "100% free", "act now", "buy now", "cash bonus", "click here", "congratulations", "double your",
    "earn money", "extra cash", "free gift", "free money", "guaranteed", "limited time only", "lowest price",
    "make money", "miracle", "no obligation", "once in a lifetime", "risk-free", "risk free", "this is not spam",
    "urgent", "winner", "you have been selected", "you've been selected", "$$$",
)
URL_SHORTENERS = (
    "bit.ly", "buff.ly", "cutt.ly", "goo.gl", "is.gd", "ow.ly", "rb.gy", "rebrand.ly", "shorturl.at", "t.co",
    "t.ly", "tiny.cc", "tinyurl.com", "v.gd",
)
NO_REPLY = re.compile(r"^(no-?reply|do-?not-?reply)", re.I)
_REPEATED_PUNCTUATION = re.compile(r"[!?]{2,}|!.*!.*!")
# Link text that reads as an address: optional scheme, a dotted host, an optional path; no spaces.
_URL_LIKE_TEXT = re.compile(r"(?:https?://)?((?:[a-z0-9-]+\.)+[a-z]{2,})(?::\d+)?(?:[/?#]\S*)?", re.I)


@dataclass(frozen=True)
class Finding:
    code: str  # stable name of the rule, e.g. "subject_all_caps"
    severity: str  # one of SEVERITIES
    title: str
    why: str
    part: str | None = None  # "subject", "html", "text"; "html and text" when both lack something
    lines: tuple[int, ...] = ()

    @property
    def where(self):
        """For people: "HTML, lines 4, 9" or "Subject"."""
        if not self.part:
            return ""
        part = " and ".join(PART_LABELS[name] for name in self.part.split(" and "))
        if not self.lines:
            return part
        label = "line" if len(self.lines) == 1 else "lines"
        return f"{part}, {label} {', '.join(map(str, self.lines))}"


def preflight(subject, html, text, *, settings, known_fields=(), tracking_names=(), from_email="", reply_to="",
              reached_at=None, production=False):
    """Every finding for a template, errors first. `settings` is the AppSettings row (or alike);
    `known_fields` the custom contact field names, `tracking_names` the TrackingUrl names;
    `from_email`/`reply_to` the template's own, which win over the settings' sender; `reached_at`
    the address the person's request came in on, `production` whether this is the production app."""
    text = text or ""
    too_big = size_problems(subject, html, text)
    if too_big:  # linting megabytes would take seconds, and the template cannot be sent anyway
        return list(_template_findings(too_big))
    problems = check_template(subject, html, text, known_fields=known_fields, tracking_url_names=tracking_names)
    document = _scan_html(html)
    findings = [
        *_template_findings(problems),
        *_subject_findings(subject),
        *_unsubscribe_findings(html, text, settings),
        *_postal_address_findings(html, settings),
        *_site_url_findings(settings.site_url, reached_at, production),
        *_sender_findings(from_email or settings.from_email, reply_to),
        *_signing_findings(from_email or settings.from_email, settings),
        *_text_findings(html, text),
        *_image_findings(document),
        *_size_findings(subject, html, text, settings, tracking_names, problems),
        *_link_findings(document),
    ]
    return sorted(findings, key=lambda finding: SEVERITIES.index(finding.severity))


# --- Template problems ---------------------------------------------------------------------------

def _template_findings(problems):
    for problem in problems:
        lines = (problem.line,) if problem.line else ()
        if problem.message.startswith("syntax error"):
            code, why = "syntax_error", ("The template cannot be rendered at all, so nothing can be sent until "
                                         "the {{ }} or {% %} tag is fixed.")
        elif problem.message.startswith("too long"):
            code, why = "template_too_long", ("A real email is far shorter (Gmail clips one above 102 KB), and "
                                              "Mailroom neither checks nor sends a template this long.")
        elif problem.message.startswith(("unknown placeholder", "unknown contact field", "unknown tracking URL")):
            code, why = "unknown_placeholder", ("Mailroom will not send a placeholder it cannot fill in, so no "
                                                "recipient ever sees a raw {{ }} or a blank where a name should be.")
        else:
            code, why = "template_error", "Mailroom refuses to send a template that fails to render."
        yield Finding(code, "error", problem.message[:1].upper() + problem.message[1:], why, problem.part, lines)


# --- Subject -------------------------------------------------------------------------------------

def _subject_findings(subject):
    plain = JINJA_TAG.sub(" ", subject or "").strip()
    if not (subject or "").strip():
        yield Finding("subject_empty", "error", "The subject is empty",
                      "An email without a subject looks like spam to people and to filters, and most go unopened.",
                      "subject")
        return
    letters = [char for char in plain if char.isalpha()]
    if len(letters) >= MIN_CAPS_LETTERS and sum(char.isupper() for char in letters) >= CAPS_SHARE * len(letters):
        yield Finding("subject_all_caps", "warning", "The subject is in capital letters",
                      "All-caps subjects read as shouting and are a classic spam-filter signal; "
                      "sentence case gets more opens.", "subject")
    if _REPEATED_PUNCTUATION.search(plain):
        yield Finding("subject_punctuation", "warning", 'The subject repeats "!" or "?"',
                      'Runs like "!!!" or "?!" are scored by spam filters and look pushy in the inbox.', "subject")
    lowered = plain.lower()
    found = [phrase for phrase in SPAM_PHRASES if phrase in lowered]
    if found:
        yield Finding("subject_spam_words", "warning", f"The subject uses spam trigger words: {', '.join(found)}",
                      "Content filters score these phrases; together with other signals they send an email "
                      "to the spam folder. Say what is in it for the reader instead.", "subject")


# --- Compliance ----------------------------------------------------------------------------------

def _names(part, source):
    try:
        return meta.find_undeclared_variables(ENVIRONMENTS[part].parse(source))
    except TemplateError:  # reported by check_template already
        return set()


def _unsubscribe_findings(html, text, settings):
    parts = ["html"] + (["text"] if text.strip() else [])  # a generated text part copies the HTML's link
    missing = [part for part in parts if "unsubscribe_url" not in _names(part, html if part == "html" else text)]
    if not missing:
        return
    if settings.optout_link_mandatory:
        yield Finding("unsubscribe_footer_added", "info", "A footer with the unsubscribe link will be added",
                      "The template has no {{ unsubscribe_url }}, and Settings require an opt-out link, so Mailroom "
                      "appends a standard footer" + (" with your postal address." if settings.postal_address else "."),
                      " and ".join(missing))
    else:
        yield Finding("unsubscribe_missing", "warning", "There is no unsubscribe link",
                      "CAN-SPAM and GDPR require a visible way to opt out, and Gmail and Yahoo demand one-click "
                      "unsubscribe from bulk senders (RFC 8058). Without a link people press \"Report spam\" instead, "
                      "which hurts every later send. Add {{ unsubscribe_url }}.", " and ".join(missing))


def _collapse(value):
    return " ".join(value.split()).lower()


def _postal_address_findings(html, settings):
    address = (settings.postal_address or "").strip()
    if not address:
        yield Finding("postal_address_missing", "warning", "No postal address is set",
                      "CAN-SPAM requires a valid physical postal address in every commercial email. "
                      "An admin can add it under Settings, Compliance; the footer then shows it.")
        return
    footer_added = settings.optout_link_mandatory and "unsubscribe_url" not in _names("html", html)
    first_line = _collapse(address.splitlines()[0])
    if not footer_added and first_line not in _collapse(_visible_text(html)):
        yield Finding("postal_address_not_shown", "warning", "The postal address is not in this email",
                      "This template has its own unsubscribe link, so Mailroom adds no footer and with it no address; "
                      "CAN-SPAM requires one. Type your postal address into the template's footer.", "html")


def _sender_findings(from_email, reply_to):
    if not from_email:
        yield Finding("from_missing", "info", "No From address is set",
                      "The email goes out as the app's default sender. People decide whether to open by who sent it, "
                      "so set a From name and address for this template or in Settings.")
    elif NO_REPLY.match(from_email) and not reply_to:
        yield Finding("no_reply_sender", "info", "Replies go to a no-reply address",
                      "Replies are lost, and mailbox providers count replies as a sign people want your mail. "
                      "Set a Reply-To that someone reads.")


def _site_url_findings(site_url, reached_at, production):
    """Every tracking, unsubscribe and view link starts with the Site URL: it must reach this Mailroom."""
    host = urlsplit(site_url).hostname or ""
    if production and (host == "localhost" or _is_loopback(host)):
        yield Finding("site_url_loopback", "error", f"Links in this email point to {site_url}",
                      "That address is this machine itself: no recipient can reach it, so every tracked link, the "
                      "unsubscribe link and the view-in-browser link would be dead. An admin sets the Site URL in Settings.")
    elif reached_at and site_url.rstrip("/") != reached_at.rstrip("/"):
        yield Finding("site_url_elsewhere", "warning", f"Links in this email point to {site_url}",
                      f"You reached Mailroom at {reached_at.rstrip('/')}. If recipients cannot reach {site_url}, "
                      "every tracked link and the unsubscribe link would be dead: check the Site URL in Settings.")


def _is_loopback(host):
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _signing_findings(from_email, settings):
    signing_domain = settings.dkim_domain if settings.dkim_private_key and settings.dkim_selector else ""
    if not signing_domain:
        yield Finding("dkim_off", "warning", "Emails are not DKIM-signed",
                      "Gmail and Yahoo require bulk senders to authenticate their mail; unsigned mass email is "
                      "filtered as spam or refused. An admin can add a key under Settings, DKIM signing.")
        return
    from_domain = from_email.rpartition("@")[2].lower()
    if from_domain and not (from_domain == signing_domain or from_domain.endswith("." + signing_domain)):
        yield Finding("dkim_not_aligned", "warning", f"The From domain {from_domain} is not the signing domain {signing_domain}",
                      "DMARC passes only when the DKIM domain matches the From address's domain; otherwise receivers "
                      "treat the signature as someone else's and may reject the email.")


# --- Content -------------------------------------------------------------------------------------

def _visible_text(html):
    return html_to_text(ProtectedSource(html).text)


def _text_findings(html, text):
    words = len(re.findall(r"\w{2,}", re.sub(r"\([^)]*\)|\ue000\d+\ue001", " ", _visible_text(html))))
    if not text.strip():
        yield Finding("text_generated", "info", "The plain-text part will be generated from the HTML",
                      "Some people and many spam filters read the text version; Mailroom writes it from your HTML. "
                      "Write your own if the generated one reads badly.", "text")
    if words < MIN_TEXT_WORDS:
        yield Finding("text_nearly_empty", "warning", "The email has almost no text",
                      "Image-only emails are a common spam pattern, so filters file them as spam, and people whose "
                      "mail app blocks images see an empty message. Add a few sentences of real text.", "html")


@dataclass
class _Anchor:
    href: str
    line: int
    text: str = ""


class _Scanner(HTMLParser):
    """Images and links of the HTML source, with line numbers (Jinja tags pass through as text)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.images_without_alt, self.anchors, self._open = [], [], None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        line = self.getpos()[0]
        if tag == "img" and "alt" not in attributes and not (attributes.get("width") == attributes.get("height") == "1"):
            self.images_without_alt.append(line)
        elif tag == "a" and attributes.get("href"):
            self._open = _Anchor(attributes["href"].strip(), line)
            self.anchors.append(self._open)

    def handle_endtag(self, tag):
        if tag == "a":
            self._open = None

    def handle_data(self, data):
        if self._open is not None:
            self._open.text += data


def _scan_html(html):
    scanner = _Scanner()
    scanner.feed(html)
    scanner.close()
    return scanner


def _image_findings(document):
    lines = document.images_without_alt
    if lines:
        count = f"{len(lines)} images have" if len(lines) > 1 else "An image has"
        yield Finding("image_without_alt", "warning", f"{count} no alt text",
                      "Many mail apps block images until the reader allows them, and screen readers read the alt "
                      "text aloud: without it people see or hear nothing. Use alt=\"\" for purely decorative images.",
                      "html", tuple(lines))


def _rendered_html_size(subject, html, text, settings, tracking_names):
    """Bytes of the HTML one recipient receives: inlined CSS, footer, pixel and click URLs included."""
    compiled = compile_template(
        subject, html, text, {name: "https://example.com/" for name in tracking_names},
        click_tracking=settings.click_tracking, open_tracking=settings.open_tracking,
        optout_footer=settings.optout_link_mandatory, postal_address=settings.postal_address,
    )
    urls = TrackingUrls(TokenSigner("preflight"), settings.site_url)
    sample = contact_context("sample.person@example.com", "Sample", "Person", "Sample Inc")
    return len(compiled.render(2_000_000_000, sample, urls)[1].encode())


def _size_findings(subject, html, text, settings, tracking_names, problems):
    if problems:  # the template does not render yet: measure what was typed
        size = len(html.encode())
    else:
        try:
            size = _rendered_html_size(subject, html, text, settings, tracking_names)
        except RenderError:  # a runtime error only real contact data triggers; the source size will do
            size = len(html.encode())
        except TemplateProblems as prepared:  # a part as it will be sent fails, though the typed one passed
            yield from _template_findings(prepared.problems)
            size = len(html.encode())
    kilobytes = f"{size / 1024:.0f} KB"
    if size > GMAIL_CLIP_BYTES:
        yield Finding("html_clipped", "error", f"Gmail will clip this email ({kilobytes} of HTML)",
                      "Gmail cuts HTML above 102 KB and shows \"[Message clipped]\": readers miss the end, including "
                      "the unsubscribe link, and opens are not counted. Remove content or images' inline code.", "html")
    elif size > NEAR_CLIP_BYTES:
        yield Finding("html_near_clip", "warning", f"The HTML is close to Gmail's clipping limit ({kilobytes})",
                      "Gmail clips emails above 102 KB of HTML, hiding the footer with the unsubscribe link. "
                      "Personal data and tracking links can push a recipient's copy over.", "html")


# --- Links ---------------------------------------------------------------------------------------

def _host(hostname):
    host = hostname.lower().rstrip(".")
    return host[4:] if host.startswith("www.") else host


def _related(one, other):
    return one == other or one.endswith("." + other) or other.endswith("." + one)


def _lines(anchors):
    return tuple(sorted({anchor.line for anchor in anchors}))


def _link_findings(document):
    anchors = [anchor for anchor in document.anchors if "{" not in anchor.href and is_trackable(anchor.href)]
    raw_ip, shortened, plain_http, mismatched = [], [], [], []
    for anchor in anchors:
        parts = urlsplit(anchor.href)
        host = _host(parts.hostname)
        try:
            ipaddress.ip_address(host)
            raw_ip.append(anchor)
        except ValueError:
            pass
        if any(host == shortener or host.endswith("." + shortener) for shortener in URL_SHORTENERS):
            shortened.append(anchor)
        if parts.scheme.lower() == "http":
            plain_http.append(anchor)
        shown = _URL_LIKE_TEXT.fullmatch(" ".join(anchor.text.split()))
        if shown and not _related(_host(shown.group(1)), host):
            mismatched.append(anchor)

    if raw_ip:
        yield Finding("link_raw_ip", "warning", "A link points to a raw IP address",
                      "Legitimate senders link to domain names; links to numeric addresses are a strong phishing and "
                      "spam signal for filters and look suspicious to readers.", "html", _lines(raw_ip))
    if shortened:
        yield Finding("link_shortener", "warning", "A link uses a URL shortener",
                      "Spammers hide destinations behind bit.ly and the like, so filters distrust shortened links "
                      "(a blocklisted shortener can sink the whole email). Link to your own domain; click tracking "
                      "already counts the clicks.", "html", _lines(shortened))
    if mismatched:
        yield Finding("link_text_mismatch", "warning", "Link text shows a different address than the link opens",
                      "Text that reads like one web address while the link goes to another domain is the pattern of "
                      "phishing; filters and cautious readers treat it as such. Make the text match, or use words.",
                      "html", _lines(mismatched))
    if plain_http:
        yield Finding("link_http", "info", "A link uses http:// instead of https://",
                      "Browsers mark plain http pages as \"Not secure\" and some filters score them; "
                      "use https:// if the site supports it.", "html", _lines(plain_http))
    distinct = {anchor.href for anchor in anchors}
    if len(distinct) > MAX_DISTINCT_LINKS:
        yield Finding("too_many_links", "warning", f"The email has {len(distinct)} different links",
                      f"More than {MAX_DISTINCT_LINKS} links look like a link farm to spam filters and spread the "
                      "reader's attention thin. Keep the ones that matter.", "html")
