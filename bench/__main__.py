"""`make bench` runs every benchmark here; `make bench K=NAME` runs bench/NAME.py.

Each benchmark module has main(), which prints `key: value` lines. The keys
named in issues are a contract: keep them.
"""
import importlib
import pkgutil
import sys
from pathlib import Path


def names():
    return sorted(m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)]) if not m.name.startswith("_"))


def main(argv):
    chosen = argv[1:] or names()
    unknown = set(chosen) - set(names())
    if unknown:
        sys.exit(f"unknown benchmark {', '.join(sorted(unknown))}; choose from {', '.join(names())}")
    for name in chosen:
        print(f"# {name}", flush=True)
        importlib.import_module(f"bench.{name}").main()


if __name__ == "__main__":
    main(sys.argv)
