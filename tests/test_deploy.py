"""The deployment files match what docs/deploy.md shows and what the service answers: the HAProxy excerpt is the
file's own lines, the file passes HAProxy's check, the Kubernetes probes ask the routes that exist."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from optirec.api.health import router

ROOT = Path(__file__).parent.parent
HAPROXY = ROOT / "deploy" / "haproxy.cfg"
DOC = ROOT / "docs" / "deploy.md"


def test_the_documented_haproxy_excerpt_is_the_files_own_lines() -> None:
    excerpt = re.search(r"```haproxy\n(.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL)
    assert excerpt is not None
    lines = {line.strip() for line in HAPROXY.read_text(encoding="utf-8").splitlines()}
    shown = [line.strip() for line in excerpt.group(1).splitlines() if line.strip() and "…" not in line]
    assert len(shown) > 10
    assert [line for line in shown if line not in lines] == []


@pytest.mark.skipif(shutil.which("haproxy") is None, reason="HAProxy is not installed (apt-get install haproxy)")
def test_haproxy_accepts_the_file(tmp_path: Path) -> None:
    env = {f"OPTIREC_APP{i}": f"127.0.0.1:1800{i}" for i in (1, 2, 3)}
    env |= {"OPTIREC_HAPROXY_BIND": "127.0.0.1:18080", "OPTIREC_HAPROXY_SOCKET": str(tmp_path / "haproxy.sock")}
    haproxy = shutil.which("haproxy") or "haproxy"
    checked = subprocess.run([haproxy, "-c", "-f", str(HAPROXY)], env=env, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "GET /readyz" in HAPROXY.read_text(encoding="utf-8")


def test_the_kubernetes_probes_ask_the_health_routes() -> None:
    routes = {getattr(route, "path", None) for route in router.routes}
    deployment = yaml.safe_load((ROOT / "deploy" / "k8s" / "deployment.yaml").read_text(encoding="utf-8"))
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert {"/readyz", "/healthz"} <= routes
    manifests = (ROOT / "deploy" / "k8s").glob("*.yaml")
    kinds = {yaml.safe_load(path.read_text(encoding="utf-8"))["kind"] for path in manifests}
    assert kinds == {"Deployment", "Service", "CronJob", "Job", "Secret"}
