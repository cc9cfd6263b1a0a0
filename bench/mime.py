"""Messages built per second on one core: render + link tokens + pixel + footer + headers + MIME.

A ~30 KB HTML template with 40 links, a <style> block (inlined once per version, which
compile_template does and is timed separately) and a few placeholders; open and click
tracking on. Also prints the figures with DKIM (RSA-2048; and RSA with Ed25519 beside it, dual
signing), the cost of one RSA signature, and the per-token cost of the signing schemes tokens.py
chose between.
"""
import subprocess
import tempfile
import time
import timeit
from pathlib import Path

from itsdangerous import URLSafeSerializer

from webapp.compose.mime import BuildSettings, MessageBuilder
from webapp.compose.rendering import compile_template, contact_context
from webapp.compose.tokens import TokenSigner
from webapp.mail.dkim import DkimKey, DkimSigner

STYLE = "<style>body{font-family:Arial} p{margin:0 0 12px} .cta{background:#0a6;color:#fff;padding:8px} td{padding:4px}</style>"


def sample_template():
    blocks = []
    for index in range(40):
        blocks.append(
            f'<tr><td><h2>Story {index}</h2><p>Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod '
            f"tempor incididunt ut labore et dolore magna aliqua. Sed ut perspiciatis unde omnis iste natus error sit voluptatem accusantium doloremque laudantium, totam rem aperiam, eaque ipsa quae ab illo inventore veritatis et quasi architecto beatae vitae dicta sunt explicabo. Ut enim ad minim veniam, quis nostrud exercitation "
            f"ullamco laboris nisi ut aliquip ex ea commodo consequat. Duis aute irure dolor in reprehenderit in voluptate "
            f'velit esse cillum dolore eu fugiat nulla pariatur. Excepteur sint occaecat cupidatat non proident.</p>'
            f'<a class="cta" href="https://shop.example.com/products/{index}?utm_source=mail&amp;utm_campaign=winter">'
            f"Read more about story {index}</a></td></tr>"
        )
    html = (
        f"<html><head>{STYLE}</head><body><p>Hello {{{{ contact.first_name | default('there') }}}},</p>"
        f"<p>News for {{{{ contact.company }}}} this week.</p><table>{''.join(blocks)}</table>"
        '<p><a href="{{ view_in_browser_url }}">View in browser</a> | <a href="{{ unsubscribe_url }}">Unsubscribe</a></p>'
        "</body></html>"
    )
    return "Winter news for {{ contact.first_name | default('you') }}", html


def _rate(builder, count):
    contact = contact_context("ann@example.org", "Ann", "Lee", "Acme", {"plan": "pro"})
    # CPU time of this process: one core's throughput, even when other work shares the machine.
    started = time.process_time()
    for recipient_id in range(1, count + 1):
        builder.build(recipient_id, "ann@example.org", contact)
    return count / (time.process_time() - started)


def main():
    subject, html = sample_template()
    started = time.perf_counter()
    compiled = compile_template(subject, html, None, postal_address="1 Main Street, Springfield")
    compile_ms = (time.perf_counter() - started) * 1000
    settings = BuildSettings(
        site_url="https://mail.example.com", secret_key="bench-secret", from_email="news@example.com",
        from_name="Example News", unsubscribe_mailto="unsubscribe@example.com",
        bounce_address="bounces@example.com", verp=True,
    )
    builder = MessageBuilder(compiled, settings)
    message = builder.build(1, "ann@example.org", contact_context("ann@example.org", "Ann"))
    print(f"template_html_bytes: {len(html)}")
    print(f"template_links: {len(compiled.links)}")
    print(f"message_bytes: {len(message.data)}")
    print(f"compile_template_ms: {compile_ms:.1f}")
    _rate(builder, 300)  # warm up
    print(f"mime_build_per_s: {_rate(builder, 5000):.0f}")

    with tempfile.TemporaryDirectory() as tmp:
        keys = {}
        for name, algorithm in (("rsa", ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"]), ("ed", ["-algorithm", "ed25519"])):
            subprocess.run(["openssl", "genpkey", *algorithm, "-out", str(Path(tmp) / name)], check=True, capture_output=True)
            keys[name] = DkimKey(name, "example.com", (Path(tmp) / name).read_bytes())
    rsa_only = DkimSigner([keys["rsa"]])
    for name, signer in (("mime_build_per_s_dkim", rsa_only), ("mime_build_per_s_dkim_dual", DkimSigner([keys["ed"], keys["rsa"]]))):
        dkim_builder = MessageBuilder(compiled, BuildSettings(**{**settings.__dict__, "dkim": signer}))
        _rate(dkim_builder, 200)  # warm up
        print(f"{name}: {_rate(dkim_builder, 3000):.0f}")
    signed = message.data
    started = time.process_time()
    for _ in range(2000):
        rsa_only.sign(signed)
    print(f"dkim_sign_us: {(time.process_time() - started) / 2000 * 1e6:.0f}")

    signer = TokenSigner("bench-secret")
    serializer = URLSafeSerializer("bench-secret", salt="click")
    rounds = 20000
    print(f"token_us_blake2b: {timeit.timeit(lambda: signer.sign('click', 123456, 7), number=rounds) / rounds * 1e6:.2f}")
    print(f"token_us_itsdangerous: {timeit.timeit(lambda: serializer.dumps([123456, 7]), number=rounds) / rounds * 1e6:.2f}")
