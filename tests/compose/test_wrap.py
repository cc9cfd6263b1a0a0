"""Long lines of text are wrapped at white space in one pass, as the old regular expression did."""
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from webapp.compose.links import wrap_text
from webapp.compose.rendering import compile_template
from webapp.compose.tokens import TokenSigner, TrackingUrls

# The expression wrap_text replaced: the same result, in quadratic time on a long word.
OLD = re.compile(r"([^\n]{100,}?)[ \t]+(?=\S)")


@settings(max_examples=300)
@given(st.lists(st.sampled_from(["a", "bb", "word", " ", "  ", "\t", "\n", "x" * 60, " \t ", "é"]), max_size=120))
def test_wrapping_gives_what_the_old_expression_gave(pieces):
    text = "".join(pieces)

    assert wrap_text(text) == OLD.sub("\\1\n", text)


def test_a_very_long_word_is_left_whole_and_the_template_compiles():
    word = "x" * 80_000

    compiled = compile_template("Hi", f"<p>{word} and more</p>", None, click_tracking=False, open_tracking=False,
                                optout_footer=False)

    subject, html, text = compiled.render(1, {"email": "a@example.com"}, TrackingUrls(TokenSigner("k"), "https://x.example"))
    assert word in html
