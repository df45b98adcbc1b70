"""A wheel built from the checkout, installed into a fresh virtual environment outside it, sets up
the demo, serves the sign-in page, a request page and a letter PDF and DOCX."""
import http.cookiejar
import os
import re
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

CHECKOUT = Path(__file__).resolve().parent.parent
IGNORE = shutil.ignore_patterns(".git", ".venv", "instance", "build", "dist", "*.egg-info", "__pycache__",
                                "node_modules", ".pytest_cache")

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(args, **kwargs):
    result = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=300, **kwargs)
    assert result.returncode == 0, f"{args}: {result.stdout[-2000:]}\n{result.stderr[-4000:]}"
    return result


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The wheel installed into a fresh venv whose only other packages are this venv's dependencies."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    shutil.copytree(CHECKOUT, source, ignore=IGNORE)  # building in place would write build/ into the checkout
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q",
         "-w", work / "dist", source])
    wheel = next((work / "dist").glob("foia-*.whl"))
    venv = work / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", venv])
    python = venv / "bin" / "python"
    site = run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip()
    # The dependencies (and pip) come from this venv: a path line in a .pth file adds its site-packages
    # without processing the .pth files in it, so the checkout's editable install stays out.
    Path(site, "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    run([python, "-m", "pip", "install", "--no-deps", "--no-index", "-q", wheel])
    return venv, work


def test_wheel_carries_templates_and_letters(installed):
    venv, work = installed
    code = ("import foia.resources as r, foia; print(r.TEMPLATES); print(r.LETTERS); print(foia.__file__)")
    out = run([venv / "bin" / "python", "-c", code], cwd=work).stdout.split()
    assert all(str(venv) in line for line in out), out
    assert out[0].endswith("foia/_bundled/templates") and out[1].endswith("foia/_bundled/letters")
    assert Path(out[0], "base.html").is_file() and Path(out[0], "auth", "login.html").is_file()
    assert Path(out[1], "ring-partnership.md.j2").is_file()


def test_installed_wheel_serves_pages_and_letters(installed):
    venv, work = installed
    env = {k: v for k, v in os.environ.items() if not k.startswith("FOIA_")}
    env["FOIA_INSTANCE"] = str(work / "instance")
    foia = venv / "bin" / "foia"
    out = run([foia, "init", "--demo"], cwd=work, env=env).stdout
    email, password = re.search(r"Demo admin: (\S+)\s+password: (\S+)", out).groups()
    port = free_port()
    server = subprocess.Popen([foia, "serve", "--port", str(port), "--no-scheduler"], cwd=work, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        for _ in range(300):
            try:
                login_page = opener.open(base + "/login", timeout=5)
                break
            except urllib.error.URLError:
                assert server.poll() is None, server.stdout.read()
                time.sleep(0.1)
        assert login_page.status == 200 and "Server" not in login_page.headers
        html = login_page.read().decode()
        token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)

        def post(path, fields, token):
            data = urllib.parse.urlencode(dict(fields, csrf_token=token)).encode()
            return opener.open(urllib.request.Request(base + path, data=data), timeout=60)

        def form_token(path):
            return re.search(r'name="csrf_token" value="([^"]+)"', opener.open(base + path).read().decode()).group(1)

        assert post("/login", {"email": email, "password": password}, token).url == base + "/"
        page = opener.open(base + "/requests/1", timeout=30)
        assert page.status == 200 and page.headers["Cache-Control"] == "no-store"
        assert "<h1" in page.read().decode()
        for fmt, magic in (("pdf", b"%PDF-"), ("docx", b"PK\x03\x04")):
            post("/requests/1/letters", {"format": fmt, "template": "ring-partnership"},
                 form_token("/requests/1/letters"))
            links = re.findall(r'href="(/letters/\d+/download)"', opener.open(base + "/requests/1").read().decode())
            assert links, "no letter listed on the request page"
            body = b""
            for link in links:
                body = opener.open(base + link, timeout=30).read()
                if body.startswith(magic):
                    break
            assert body.startswith(magic), f"no {fmt} letter served"
        assert server.poll() is None
    finally:
        server.terminate()
        server.wait(timeout=30)
        server.stdout.close()
