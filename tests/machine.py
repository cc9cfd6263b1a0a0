"""Where this test run lives on the machine: the repository, a temporary folder of its own, free ports."""
import socket
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUN_DIR = Path(tempfile.mkdtemp(prefix="mailroom-test-"))  # conftest removes it when the run ends


def free_port():
    """A loopback TCP port nothing listens on (at the moment of asking)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
