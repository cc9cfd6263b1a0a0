"""Signed ids in tracking URLs: they verify, and nothing else does."""
import pytest

from webapp.compose.tokens import (
    TokenSigner, TrackingUrls, read_click_token, read_open_token, read_unsubscribe_token, read_view_token,
)

SITE = "https://mail.example.com"


@pytest.fixture
def signer():
    return TokenSigner("test-secret")


def token_of(url):
    return url.rsplit("/", 1)[1]


@pytest.mark.parametrize("recipient_id", [0, 1, 127, 128, 16_384, 2**40, 2**63 - 1])
def test_click_url_carries_recipient_version_and_link_and_verifies(signer, recipient_id):
    urls = TrackingUrls(signer, SITE)
    url = urls.click_url(recipient_id, 31, 7)
    assert url.startswith(f"{SITE}/t/c/")
    assert read_click_token(signer, token_of(url)) == (recipient_id, 31, 7)


def test_batch_click_urls_equal_single_ones(signer):
    urls = TrackingUrls(signer, SITE)
    batch = urls.click_urls(123_456, 812, 300)
    assert batch == [urls.click_url(123_456, 812, index) for index in range(300)]
    assert read_click_token(signer, token_of(batch[299])) == (123_456, 812, 299)


def test_tokens_are_short_url_safe_and_hold_no_destination(signer):
    urls = TrackingUrls(signer, SITE)
    token = token_of(urls.click_url(123_456, 812, 3))
    assert len(token) <= 24
    assert token.replace("-", "").replace("_", "").isalnum()
    assert "=" not in token


def test_each_purpose_has_its_own_urls(signer):
    urls = TrackingUrls(signer, SITE)
    assert read_open_token(signer, token_of(urls.open_pixel_url(5))) == 5
    assert urls.open_pixel_url(5).endswith(".gif")
    assert read_unsubscribe_token(signer, token_of(urls.unsubscribe_url(5))) == 5
    assert read_view_token(signer, token_of(urls.view_url(5))) == 5


def test_a_token_for_one_purpose_is_refused_for_another(signer):
    urls = TrackingUrls(signer, SITE)
    unsubscribe = token_of(urls.unsubscribe_url(5))
    assert read_open_token(signer, unsubscribe) is None
    assert read_view_token(signer, unsubscribe) is None
    assert read_click_token(signer, unsubscribe) is None


def test_a_token_from_another_secret_is_refused(signer):
    other = TrackingUrls(TokenSigner("another-secret"), SITE)
    assert read_click_token(signer, token_of(other.click_url(5, 2, 1))) is None


def test_every_single_character_change_is_refused(signer):
    token = token_of(TrackingUrls(signer, SITE).click_url(42, 2, 3))
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    for position in range(len(token)):
        for replacement in alphabet[::7]:
            if replacement != token[position]:
                tampered = token[:position] + replacement + token[position + 1:]
                assert read_click_token(signer, tampered) is None, tampered


@pytest.mark.parametrize("garbage", [
    "", "x", "====", "a" * 65, "../../etc/passwd", "AAAAAAAAAAAAAAAAAAAAAAAA", "%00", "wMQH!J", None, 42, "💥",
    "/////////////////////////",
])
def test_garbage_never_raises(signer, garbage):
    assert read_click_token(signer, garbage) is None
    assert read_open_token(signer, garbage) is None
    assert read_unsubscribe_token(signer, garbage) is None


def test_stray_characters_in_a_valid_token_are_refused(signer):
    token = token_of(TrackingUrls(signer, SITE).unsubscribe_url(9))
    assert read_unsubscribe_token(signer, token) == 9
    assert read_unsubscribe_token(signer, token[:4] + "." + token[4:]) is None
    assert read_unsubscribe_token(signer, token + "\n") is None


def test_ids_must_be_database_ids(signer):
    with pytest.raises(ValueError):
        signer.sign("click", -1, 0)
    with pytest.raises(ValueError):
        signer.click_tokens(2**64, 1, 3)
