"""The packages of webapp/ import only downward, in the order of LAYERS, and never jobs/.

A feature that must react to a higher one's change offers a hook (common/hooks.py) instead.
"""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Lowest first; a package may import itself and anything before it. The factory
# (webapp/__init__.py) wires them all together and is not a layer.
LAYERS = [
    "extensions", "common", "errors", "mail", "settings", "auth", "outbox",
    "audience", "compose", "sending", "events", "tracking", "webhooks", "bounces", "reports", "system",
]


def _imported_modules(node):
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        if node.module == "webapp":  # from webapp import sending
            return [f"webapp.{alias.name}" for alias in node.names]
        return [node.module]
    return []


def layer_violations(webapp_dir):
    """Every import against the order, as "path:line: <package> imports <module>"."""
    found = []
    for path in sorted(Path(webapp_dir).rglob("*.py")):
        parts = path.relative_to(webapp_dir).parts
        if parts == ("__init__.py",):
            continue
        package = parts[0].removesuffix(".py")
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            for module in _imported_modules(node):
                top, _, rest = module.partition(".")
                if top == "jobs":
                    found.append(f"{path}:{node.lineno}: {package} imports {module} (webapp never imports jobs/)")
                    continue
                if top != "webapp" or not rest:
                    continue
                target = rest.split(".")[0]
                if target == package:
                    continue
                if package not in LAYERS or target not in LAYERS:
                    found.append(f"{path}:{node.lineno}: {package} imports {module}, and one of them has no layer")
                elif LAYERS.index(target) > LAYERS.index(package):
                    found.append(f"{path}:{node.lineno}: {package} imports {module}, a higher layer")
    return found


def test_no_package_imports_upward_or_jobs():
    assert layer_violations(ROOT / "webapp") == []


def test_every_package_has_a_layer():
    packages = {p.name for p in (ROOT / "webapp").iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    modules = {p.stem for p in (ROOT / "webapp").glob("*.py") if p.name != "__init__.py"}
    assert packages | modules <= set(LAYERS)


def test_an_upward_import_is_named_with_its_line(tmp_path):
    # Each of the cycles the layers replaced, written again in a throwaway tree.
    bad = {
        "audience/contacts.py": "from webapp.sending.models import Recipient\n",
        "compose/deletion.py": "import os\nfrom webapp.sending.lifecycle import FINAL_STATES\n",
        "auth/forms.py": "from webapp.audience.emails import normalize_email\n",
        "settings/forms.py": "from webapp.auth.forms import NormalizedEmail\n",
        "mail/dkim.py": "from webapp.compose import mime\n",
        "common/clock.py": "def later():\n    from webapp import sending\n",
        "sending/sender.py": "import jobs.sending\n",
    }
    for name, source in bad.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(source)
    assert layer_violations(tmp_path) == [
        f"{tmp_path}/audience/contacts.py:1: audience imports webapp.sending.models, a higher layer",
        f"{tmp_path}/auth/forms.py:1: auth imports webapp.audience.emails, a higher layer",
        f"{tmp_path}/common/clock.py:2: common imports webapp.sending, a higher layer",
        f"{tmp_path}/compose/deletion.py:2: compose imports webapp.sending.lifecycle, a higher layer",
        f"{tmp_path}/mail/dkim.py:1: mail imports webapp.compose, a higher layer",
        f"{tmp_path}/sending/sender.py:1: sending imports jobs.sending (webapp never imports jobs/)",
        f"{tmp_path}/settings/forms.py:1: settings imports webapp.auth.forms, a higher layer",
    ]
