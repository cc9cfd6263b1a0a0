"""The words and glyphs pages show for states and reasons."""
import unicodedata

from webapp.common.vocabulary import VOCABULARIES


def test_every_icon_is_a_plain_text_glyph_not_an_emoji_a_font_may_lack():
    # Wide characters are emoji-presentation ones (⏳ drew an empty box in Debian's Chromium);
    # the narrow symbols used instead are in DejaVu Sans, which every Debian desktop has.
    emoji = {f"{vocabulary}.{key}": term.icon for vocabulary, terms in VOCABULARIES.items() for key, term in terms.items()
             if any(unicodedata.east_asian_width(char) in ("W", "F") for char in term.icon)}

    assert emoji == {}


def test_every_term_has_words():
    assert all(term.label for terms in VOCABULARIES.values() for term in terms.values())
