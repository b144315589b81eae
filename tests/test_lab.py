"""The course as a learner meets it: JupyterLab on the loopback interface, chapters opened in Chromium.

``make lab`` starts JupyterLab with the jupyterlab-myst extension, so the chapters' MyST
(citations, admonitions, equations, cross-references) renders there as in the book. This
test starts the same JupyterLab on a copy of the chapters (nothing is saved into the
repository), opens every chapter in Debian's Chromium through Playwright (no browser is
downloaded) and checks what a learner sees: no raw MyST markup in the rendered Markdown and
every solution collapsed. Two chapters are then run top to bottom with Run All Cells, as a
learner would: no cell may be left running or end in a traceback, and their widgets and
audio players must be drawn.
"""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists() or shutil.which("jupyter-lab", path=str(Path(sys.executable).parent)) is None,
    reason="needs Debian's chromium (make browser-deps) and JupyterLab (make install)")

#: Chapters run with Run All Cells (the quick profile: about 10 s and 60 s).
RUN_ALL = ["01_sampling_and_aliasing.ipynb", "06_frame_level_model.ipynb"]

#: MyST that did not render: a role or directive left as text.
RAW_MYST = re.compile(r"\{(cite|glue|ref|numref|doc|term|eq|download)(:[a-z]+)?\}`|```\{|:::\{")

#: The rendered Markdown of each cell (jupyterlab-myst's output), never its editor.
RENDERED = """() => Array.from(document.querySelectorAll('.jp-MarkdownCell')).map((cell) => {
  const out = cell.querySelector('.jp-MarkdownOutput, .jp-RenderedMarkdown, .myst');
  return out ? out.innerText : null;
})"""


#: JupyterLab settings of the test's server: nothing saved by itself, every cell drawn (not only those
#: in view), no news pop-up over the page.
SETTINGS = {
    "@jupyterlab/docmanager-extension:plugin": {"autosave": False},
    "@jupyterlab/notebook-extension:tracker": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false"},
}


#: The input prompts of the code cells whose input is shown ("[3]:" once run, "[*]:" while running).
PROMPTS = """() => Array.from(document.querySelectorAll('.jp-CodeCell'))
  .filter((c) => !c.querySelector('.jp-InputPlaceholder'))
  .map((c) => c.querySelector('.jp-InputPrompt').innerText.trim())"""

#: Whether the status bar says the kernel is idle.
IDLE = """() => Array.from(document.querySelectorAll('#jp-main-statusbar *'))
  .some((e) => e.children.length === 0 && /\\bIdle\\b/.test(e.innerText))"""


def _use_quick_parameters(nb_path: Path) -> None:
    """Rewrite a notebook copy's parameters cell with the quick profile's values (book/params/quick.yaml)."""
    from tools.book import chapter_parameters

    nb = json.loads(nb_path.read_text())
    cell = next(c for c in nb["cells"] if "parameters" in c["metadata"].get("tags", []))
    lines = "".join(cell["source"]).splitlines()
    for name, value in chapter_parameters("quick", nb_path.stem).items():
        lines = [f"{name} = {value!r}" if re.match(rf"{name}\s*=", line) else line for line in lines]
    cell["source"] = "\n".join(lines)
    nb_path.write_text(json.dumps(nb))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server on 127.0.0.1 over a copy of the chapters; yields (base URL, token, folder)."""
    tmp = tmp_path_factory.mktemp("lab")
    folder = tmp / "notebooks"
    shutil.copytree(ROOT / "notebooks", folder)
    for name in RUN_ALL:  # a learner's quick run: the quick profile's sizes in the copies' parameters cells
        _use_quick_parameters(folder / name)
    for plugin, values in SETTINGS.items():
        package, name = plugin.split(":")
        (tmp / "settings" / package).mkdir(parents=True, exist_ok=True)
        (tmp / "settings" / package / f"{name}.jupyterlab-settings").write_text(json.dumps(values))
    port, token = _free_port(), "srlib-test"
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"), "JUPYTER_CONFIG_DIR": str(tmp / "config")}
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip", "127.0.0.1", f"--port={port}",
           f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={folder}",
           f"--LabApp.user_settings_dir={tmp / 'settings'}", f"--LabApp.workspaces_dir={tmp / 'workspaces'}"]
    if os.getuid() == 0:
        cmd.append("--allow-root")
    log = open(tmp / "lab.log", "w")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=folder)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    while True:
        try:
            urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
            break
        except OSError:
            if proc.poll() is not None or time.time() > deadline:
                proc.kill()
                pytest.fail("JupyterLab did not start:\n" + (tmp / "lab.log").read_text()[-3000:])
            time.sleep(0.5)
    yield base, token, folder
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"])
        yield b
        b.close()


def _open(browser, lab, name):
    base, token, _ = lab
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    # a workspace of its own per chapter: JupyterLab would otherwise restore the last layout
    page.goto(f"{base}/lab/workspaces/{Path(name).stem}/tree/{name}?token={token}&reset")
    page.wait_for_selector(".jp-Notebook .jp-MarkdownCell", state="attached", timeout=60_000)
    page.wait_for_function("() => document.querySelectorAll('.jp-MarkdownCell .jp-MarkdownOutput, "
                           ".jp-MarkdownCell .jp-RenderedMarkdown, .jp-MarkdownCell .myst').length > 0",
                           timeout=60_000)
    page.wait_for_timeout(1500)  # the rest of the cells render
    return page


def _solutions(path) -> int:
    """How many "Try it" solutions the chapter holds (code cells that open with ``# Solution``)."""
    cells = json.loads(Path(path).read_text())["cells"]
    return sum(c["cell_type"] == "code" and "".join(c["source"]).startswith("# Solution") for c in cells)


CHAPTERS = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("name", CHAPTERS)
def test_a_chapter_reads_in_lab_with_myst_rendered_and_solutions_collapsed(browser, lab, name):
    page = _open(browser, lab, name)
    try:
        texts = [t for t in page.evaluate(RENDERED) if t]
        assert texts, "no rendered Markdown"
        raw = sorted({m.group(0) for t in texts for m in RAW_MYST.finditer(t)})
        assert not raw, f"MyST left as text in JupyterLab: {raw}"
        collapsed = page.locator(".jp-Cell .jp-InputPlaceholder").count()
        assert collapsed >= _solutions(lab[2] / name), "a solution is open in JupyterLab"
    finally:
        page.close()


@pytest.mark.parametrize("name", RUN_ALL)
def test_run_all_in_lab_draws_widgets_and_players_and_ends_clean(browser, lab, name):
    page = _open(browser, lab, name)
    try:
        page.wait_for_function(IDLE, timeout=60_000)  # the kernel has started
        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
        page.wait_for_timeout(2000)
        deadline = time.time() + 300
        while True:
            prompts = page.evaluate(PROMPTS)  # a collapsed solution shows no prompt: it is not counted
            done = all(re.fullmatch(r"\[\d+\]:", p) for p in prompts) and page.evaluate(IDLE)
            if done or time.time() > deadline:
                break
            page.wait_for_timeout(1000)
        assert done, f"cells left unrun or running after 300 s: {prompts}"
        outputs = page.evaluate("() => Array.from(document.querySelectorAll('.jp-OutputArea-output'))"
                                ".map((o) => o.innerText)")
        errors = [o for o in outputs if "Traceback" in o or "Error" in o.split("\n")[0]]
        assert not errors, errors[0][:2000]
        assert page.locator(".jp-OutputArea-output .jupyter-widgets").count() > 0, "no widget drawn"
        assert page.locator(".jp-OutputArea-output audio").count() > 0, "no audio player"
    finally:
        page.close()
