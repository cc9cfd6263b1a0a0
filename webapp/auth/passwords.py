"""How guessable a new password is, by zxcvbn: common passwords, words, names, keyboard
patterns, dates and repeats, and the person's own email and name, all count against it."""
import re

from zxcvbn import zxcvbn

MIN_SCORE = 3  # zxcvbn's "safely unguessable": about 10^8 guesses, beyond an online attack
MAX_CHECKED = 72  # zxcvbn refuses longer input (its work grows fast with length); the rest only adds strength


def weakness(password, user_inputs=()):
    """Why the password is too easy to guess, in a sentence, or None when it is strong enough."""
    # zxcvbn matches each input as one word: "ada.lovelace@example.com" is also "ada" and "lovelace".
    words = {word.lower() for value in user_inputs for word in [value, *re.split(r"[\W_]+", value)] if len(word) > 2}
    result = zxcvbn(password[:MAX_CHECKED], user_inputs=sorted(words))
    if result["score"] >= MIN_SCORE:
        return None
    feedback = result["feedback"]
    reasons = " ".join(filter(None, [feedback["warning"], *feedback["suggestions"]]))
    return "This password is too easy to guess." + (f" {reasons}" if reasons else " Add another word or two.")
