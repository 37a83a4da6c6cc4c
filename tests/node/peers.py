"""Real peers for the network tests: Debian's Orthanc as the archive, dcmtk's storescu
as the modality, and ``medanon serve`` itself as a child process. Loopback only; every
wait has a timeout, and every process is stopped by the fixture that started it."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
LOOPBACK = "127.0.0.1"
ORTHANC_AE = "ORTHANC"
SERVE_AE = "MEDANON"
SENDER_AE = "MODALITY"


def require_tool(name: str) -> str:
    """The path of a system tool: a skip locally, a failure under CI, when it is missing."""
    path = shutil.which(name) or (f"/usr/sbin/{name}" if Path(f"/usr/sbin/{name}").exists()
                                  else None)
    if path is None:
        message = f"{name} is not installed (scripts/test installs it from Debian)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def free_port() -> int:
    """A TCP port nobody listens on at this moment, on loopback."""
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll ``condition`` until it holds; fail the test, naming ``what``, at the timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def stop_process(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM,
                 timeout: float = 20.0) -> int:
    """Stop a child: ``sig``, then SIGKILL if it has not ended by ``timeout``."""
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout)
    return int(process.returncode)


class Orthanc:
    """A private Orthanc: its own folders and ports, remote access off, started on demand."""

    def __init__(self, root: Path, serve_port: int) -> None:
        self.binary = require_tool("Orthanc")
        self.root = root
        self.dicom_port, self.http_port = free_port(), free_port()
        self.process: subprocess.Popen[bytes] | None = None
        root.mkdir(parents=True, exist_ok=True)
        config = {
            "Name": "medanon-test", "StorageDirectory": str(root / "storage"),
            "IndexDirectory": str(root / "index"), "DicomAet": ORTHANC_AE,
            "DicomPort": self.dicom_port, "HttpPort": self.http_port,
            "RemoteAccessAllowed": False, "AuthenticationEnabled": False,
            "DicomModalities": {"medanon": [SERVE_AE, LOOPBACK, serve_port]},
            "Plugins": [], "StorageCompression": False, "DicomScpTimeout": 30,
            "HttpTimeout": 30, "LogExportedResources": False,
        }
        self.config = root / "orthanc.json"
        self.config.write_text(json.dumps(config, indent=2))

    def start(self, timeout: float = 30.0) -> None:
        """Start Orthanc and wait until its REST API answers."""
        log = open(self.root / "orthanc.log", "ab")  # noqa: SIM115 (kept for the child)
        self.process = subprocess.Popen([self.binary, str(self.config)], stdout=log,
                                        stderr=subprocess.STDOUT, cwd=self.root)
        log.close()
        try:
            wait_for(self._answers, timeout, "Orthanc's REST API")
        except BaseException:
            self.stop(signal.SIGKILL)
            raise

    def stop(self, sig: int = signal.SIGTERM) -> None:
        """Stop Orthanc (its storage stays for the next start)."""
        if self.process is not None:
            stop_process(self.process, sig)
            self.process = None

    def _answers(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise AssertionError("Orthanc exited: " +
                                 (self.root / "orthanc.log").read_text(errors="replace")[-2000:])
        try:
            self.get("/system")
        except OSError:
            return False
        return True

    def get(self, path: str) -> Any:
        """GET a REST resource as JSON."""
        with urllib.request.urlopen(f"http://{LOOPBACK}:{self.http_port}{path}",
                                    timeout=10) as response:
            return json.loads(response.read())

    def file(self, instance: str) -> bytes:
        """The stored DICOM file of one instance."""
        url = f"http://{LOOPBACK}:{self.http_port}/instances/{instance}/file"
        with urllib.request.urlopen(url, timeout=10) as response:
            return bytes(response.read())

    def instance_count(self) -> int:
        """How many instances Orthanc holds."""
        return len(self.get("/instances"))


def serve_command(state: Path, port: int, key: Path, *extra: str) -> list[str]:
    """The ``medanon serve`` command line the tests and the benchmark run."""
    return [sys.executable, "-m", "medanon.cli.main", "serve", "--ae", SERVE_AE,
            "--port", str(port), "--key", str(key), "--queue", str(state), *extra]


class Serve:
    """``medanon serve`` as a child process, its log in a file."""

    def __init__(self, command: Sequence[str], log: Path, port: int) -> None:
        self.command = list(command)
        self.port = port
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30.0) -> None:
        """Start it and wait for its "listening" line."""
        before = self.text().count("listening as")
        environment = {**os.environ, "PYTHONPATH": str(REPO / "src")}
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(self.command, stdout=log, stderr=subprocess.STDOUT,
                                            env=environment, cwd=REPO)

        def listening() -> bool:
            if self.process is not None and self.process.poll() is not None:
                raise AssertionError("medanon serve exited: " + self.text()[-2000:])
            return self.text().count("listening as") > before

        try:
            wait_for(listening, timeout, "medanon serve to listen")
        except BaseException:
            self.stop(signal.SIGKILL)  # never left running behind a failed start
            raise

    def text(self) -> str:
        """Everything it logged."""
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stop(self, sig: int = signal.SIGTERM) -> int:
        """Stop it with ``sig``; return its exit code."""
        code = 0
        if self.process is not None:
            code = stop_process(self.process, sig)
            self.process = None
        return code


def storescu(files: Sequence[Path], port: int, *, calling: str = SENDER_AE,
             called: str = SERVE_AE, timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
    """Send files with dcmtk's storescu, each in its own transfer syntax (-xy -R)."""
    binary = require_tool("storescu")
    return subprocess.run([binary, "-xy", "-R", "-nh", "-aet", calling, "-aec", called,
                           LOOPBACK, str(port), *map(str, files)],
                          capture_output=True, text=True, timeout=timeout, check=False)
