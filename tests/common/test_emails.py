"""The email fast path never disagrees with email-validator: it only says "valid, normalised to X"
when email-validator says the same, and leaves everything else (every invalid address) to it."""
import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import example, given, settings
from hypothesis import strategies as st

from webapp.common.emails import InvalidEmail, _fast_normalize, normalize_email

ATEXT = "abcXYZ0189!#$%&'*+/=?^_`{|}~-"
TRICKY = ATEXT + '.."@ ()<>[]\\,;:é\u00df\u200b\u0301Ａ'
HOST = "abzAZ09-"
pytestmark = pytest.mark.database_free
SPECIAL_TLDS = ["arpa", "invalid", "local", "localhost", "onion", "test", "example", "com", "co", "xn--p1ai", "c0m", "a"]


def _local_parts():
    plain = st.text(ATEXT, min_size=1, max_size=12)
    dotted = st.lists(plain, min_size=1, max_size=6).map(".".join)  # sometimes longer than 64
    return st.one_of(dotted, dotted, st.text(TRICKY, min_size=0, max_size=20), dotted.map(lambda s: f'"{s}"'),
                     st.sampled_from(["a" * 64, "a" * 65, ".a", "a.", "a..b", "info", "POSTMASTER"]))


def _domains():
    label = st.one_of(st.text(HOST, min_size=1, max_size=10), st.text(HOST + ".é_Ａ", min_size=0, max_size=6),
                      st.sampled_from(["xn--bcher-kva", "ab--cd", "a" * 63, "a" * 64, "-a", "a-", "1"]))
    plain_label = st.text(HOST, min_size=1, max_size=10)
    tld = st.one_of(st.sampled_from(SPECIAL_TLDS), st.text("abcXYZ0-", min_size=1, max_size=6), st.text("abcXYZ", min_size=2, max_size=4))
    named = st.tuples(st.one_of(st.lists(label, min_size=0, max_size=5), st.lists(plain_label, min_size=1, max_size=3)), tld).map(lambda p: ".".join([*p[0], p[1]]))
    literal = st.sampled_from(["[127.0.0.1]", "[IPv6:::1]", "127.0.0.1", "[300.1.1.1]"])
    return st.one_of(named, literal, st.sampled_from(["a" * 63 + "." + "b" * 63 + "." + "c" * 63 + "." + "d" * 61 + ".com"]))


@settings(max_examples=3000, deadline=None)
@given(local=_local_parts(), domain=_domains(), at=st.sampled_from(["@", "@", "@@", ""]))
@example(local="Ann.Lee+news", domain="Example.CO.uk", at="@")
@example(local="a" * 64, domain=("b" * 63 + ".") * 3 + "c" * 57 + ".com", at="@")  # 254 characters
@example(local="x", domain="mail.test", at="@")
@example(local="x", domain="xn--bcher-kva.de", at="@")
def test_fast_path_only_accepts_what_email_validator_accepts_with_the_same_value(local, domain, at):
    address = f"{local}{at}{domain}"
    fast = _fast_normalize(address)
    if fast is None:
        return
    assert validate_email(address, check_deliverability=False).normalized.lower() == fast


@pytest.mark.parametrize("address", ["ann@example.com", "Ann.Lee+news@Example.CO.uk", "o'brien@mail-1.example.org",
                                     "x_y-z@sub.domain.museum"])
def test_everyday_addresses_take_the_fast_path(address):
    assert _fast_normalize(address) == address.lower()


@pytest.mark.parametrize("address", ["a@b.test", "a@printer.local", "a@xn--bcher-kva.de", "\"a b\"@example.com",
                                     "jörg@example.com", "a@[127.0.0.1]", "a..b@example.com", "a@-x.com"])
def test_unusual_or_invalid_addresses_are_left_to_email_validator(address):
    assert _fast_normalize(address) is None


def test_normalize_email_still_explains_invalid_addresses():
    with pytest.raises(InvalidEmail, match="must have an @-sign"):
        normalize_email("ann.example.com")
    with pytest.raises(InvalidEmail, match="special-use"):
        normalize_email("ann@printer.local")
    with pytest.raises(InvalidEmail, match="empty"):
        normalize_email("  ")
    assert normalize_email(" Jörg@Bücher.de ") == "jörg@bücher.de"


def test_fast_path_and_email_validator_agree_on_a_sample_of_invalid_addresses():
    for address in ["ann@example", "-@-.com", "a@b..com", "a@b.com.", "@b.com"]:
        assert _fast_normalize(address) is None
        with pytest.raises(EmailNotValidError):
            validate_email(address, check_deliverability=False)
