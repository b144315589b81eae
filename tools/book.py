"""Build the report: execute the notebooks with papermill, then build the Jupyter Book.

``python tools/book.py --profile quick|full`` (what ``make book`` and ``make test`` call):

1. reads ``_toc.yml`` and finds the notebooks (``notebooks/NN_name``) in book order;
2. executes each with papermill, kernel ``python3``, working directory
   ``notebooks/``, parameters from ``book/params/<profile>.yaml`` (:func:`chapter_parameters`), into
   ``_build/src/notebooks/`` (the tracked notebooks stay without outputs);
3. fails on a cell error and on an executed notebook with no outputs at all, and tags
   papermill's injected-parameters cell ``remove-cell`` (the page shows the chapter's own
   parameters cell once; the executed notebook keeps the injected one);
4. copies ``_config.yml``, ``_toc.yml`` and ``book/`` beside them, unpacks MathJax, RequireJS
   and the widget manager from the npm registry beside them (:data:`VENDORED`), and runs
   ``jupyter-book build`` with execution off and warnings as errors
   (``-W -n --keep-going``); the HTML ends in ``_build/html``.

Per-notebook wall times are printed and saved in ``_build/timings.json``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
CELL_TIMEOUT_S = 1200  # a cell that runs longer than this has hung: fail instead of eating CI's time

#: Each notebook's first code cell (tagged ``setup``), with ``{url}`` the ``repository.url`` of
#: ``_config.yml``: opened with a launch button (Colab), srlib is missing and gets installed.
SETUP_CELL = """\
# Setup: installs srlib (and the Debian packages its data needs) where it
# is missing, e.g. on Colab. In the project's own environment (make lab,
# make book) this does nothing.
import importlib.util, shutil, subprocess, sys
if importlib.util.find_spec("srlib") is None:
    # one by one: a package this system lacks is skipped, the others install
    if shutil.which("apt-get"):
        subprocess.run("apt-get update -qq", shell=True)
        for pkg in (
            "klettres-data libfluidsynth3 fillets-ng-data-cs tuxpaint-stamps-default "
            "gcin-voice megaglest-data ktuberling-data hedgewars-data "
            "wesnoth-1.16-music fretsonfire-songs-muldjord fretsonfire-songs-sectoid"
        ).split():
            subprocess.run(f"apt-get install -y -qq --no-install-recommends {{pkg}}",
                           shell=True)
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q",
         "srlib[all] @ git+{url}"],
        check=True)"""


def setup_cell(root: Path = ROOT) -> str:
    """The setup cell's source for this repository (see :data:`SETUP_CELL`)."""
    config = yaml.safe_load((root / "_config.yml").read_text())
    return SETUP_CELL.format(url=config["repository"]["url"])


def toc_files(toc_path: Path) -> list[str]:
    """Every ``file:`` entry of a Jupyter Book ``_toc.yml``, in order (root first)."""
    toc = yaml.safe_load(toc_path.read_text())
    out = [toc["root"]]

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                out.append(node["file"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk({k: v for k, v in toc.items() if k != "root"})
    return out


def notebooks_in_toc(root: Path = ROOT) -> list[Path]:
    """Notebook paths listed in ``_toc.yml`` that exist as ``.ipynb`` files."""
    return [root / f"{f}.ipynb" for f in toc_files(root / "_toc.yml") if (root / f"{f}.ipynb").exists()]


def check_executed(nb_path: Path) -> None:
    """Raise if an executed notebook has an error output or no outputs at all."""
    nb = json.loads(nb_path.read_text())
    cells = [c for c in nb["cells"] if c["cell_type"] == "code"]
    if cells and not any(c.get("outputs") for c in cells):
        raise RuntimeError(f"{nb_path}: executed notebook has no outputs")
    for c in cells:
        for o in c.get("outputs", []):
            if o.get("output_type") == "error":
                raise RuntimeError(f"{nb_path}: a cell raised {o.get('ename')}: {o.get('evalue')}")


def hide_injected_parameters(nb_path: Path) -> None:
    """Tag papermill's injected-parameters cell ``remove-cell``: the page shows the chapter's own
    parameters cell once, and the executed notebook keeps the record of what was injected."""
    nb = json.loads(nb_path.read_text())
    for cell in nb["cells"]:
        tags = cell.get("metadata", {}).get("tags", [])
        if "injected-parameters" in tags and "remove-cell" not in tags:
            cell["metadata"]["tags"] = tags + ["remove-cell"]
    nb_path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")


#: The environment every notebook kernel starts with (``kernel.json``'s ``env``, so it holds before the first
#: import of any cell, in the book's build and in ``make lab`` alike).
KERNEL_ENV = {"TF_CPP_MIN_LOG_LEVEL": "3", "GRPC_VERBOSITY": "ERROR", "KMP_WARNINGS": "0"}

#: The kernel's own option that keeps C-level writes to file descriptor 2 out of the cells' outputs.
#: TensorFlow 2.21 logs through absl before absl is initialised, so every message goes to descriptor 2 whatever
#: TF_CPP_MIN_LOG_LEVEL says ("oneDNN custom operations are on", "All log messages before absl::InitializeLog()",
#: grappler's "remapper failed"), and which of them appear depends on the CPU. ipykernel forwards descriptor 2 into
#: the notebook by default; with this, C libraries' logs go to the kernel's console (papermill's log, JupyterLab's
#: terminal) and Python's own stderr (warnings, progress bars) still reaches the cell.
KERNEL_ARGS = ["--IPKernelApp.capture_fd_output=False"]


def quiet_kernel(prefix: str = sys.prefix) -> Path:
    """Add :data:`KERNEL_ENV` and :data:`KERNEL_ARGS` to the ``python3`` kernel spec under ``prefix``; returns its path."""
    spec = Path(prefix) / "share" / "jupyter" / "kernels" / "python3" / "kernel.json"
    if not spec.exists():
        raise SystemExit(f"no python3 kernel spec at {spec}: run 'make install'")
    kernel = json.loads(spec.read_text())
    kernel["env"] = {**kernel.get("env", {}), **KERNEL_ENV}
    kernel["argv"] += [a for a in KERNEL_ARGS if a not in kernel["argv"]]
    spec.write_text(json.dumps(kernel, indent=1) + "\n")
    return spec


def chapter_parameters(profile: str, stem: str, root: Path = ROOT) -> dict:
    """The papermill parameters of chapter ``stem`` in ``profile``: ``book/params/<profile>.yaml``'s top-level
    entries (``profile``) and the chapter's own under ``chapters`` (what the profile changes in its parameters cell,
    which holds the full values)."""
    params = yaml.safe_load((root / "book" / "params" / f"{profile}.yaml").read_text()) or {}
    chapters = params.pop("chapters", None) or {}
    return {**params, **chapters.get(stem, {})}


def execute(profile: str, build: Path, root: Path = ROOT) -> dict:
    """Execute every notebook of the book for ``profile``; returns wall times in seconds.

    Every evaluation a chapter runs appends what it scored to ``build/evaluations.jsonl``
    (:data:`srlib.lineage.EVAL_LOG_ENV`), which the book's tests read: no model scored on its training data.
    """
    import os

    import papermill as pm

    from srlib.lineage import EVAL_LOG_ENV

    quiet_kernel()
    log = build / "evaluations.jsonl"
    build.mkdir(parents=True, exist_ok=True)
    log.unlink(missing_ok=True)
    os.environ[EVAL_LOG_ENV] = str(log)

    times = {}
    for nb in notebooks_in_toc(root):
        dest = build / "src" / nb.relative_to(root)
        dest.parent.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        print(f"[book] executing {nb.relative_to(root)} ({profile})", flush=True)
        pm.execute_notebook(str(nb), str(dest), parameters=chapter_parameters(profile, nb.stem, root),
                            kernel_name="python3",
                            cwd=str(nb.parent), progress_bar=False, log_output=False,
                            execution_timeout=CELL_TIMEOUT_S)
        times[nb.stem] = round(time.perf_counter() - t0, 1)
        check_executed(dest)
        hide_injected_parameters(dest)
        print(f"[book] {nb.stem}: {times[nb.stem]} s", flush=True)
    return times


#: The JavaScript the pages run, vendored from the npm registry at build time (so no page needs a CDN,
#: offline or behind a firewall): package -> {path in its tarball: path under the html's _static}.
#: They are unpacked into ``_vendor`` (``_config.yml``'s ``html_static_path``; not ``_static``, whose
#: every .js file Jupyter Book would add to every page), and ``_config.yml`` points Sphinx's
#: ``mathjax_path`` and myst-nb's ``nb_ipywidgets_js`` at them.
VENDORED = {
    "mathjax@3.2.2": {"package/es5/tex-mml-chtml.js": "mathjax/tex-mml-chtml.js",
                      "package/es5/output/chtml/fonts/woff-v2/": "mathjax/output/chtml/fonts/woff-v2/",
                      "package/es5/input/tex/extensions/": "mathjax/input/tex/extensions/"},
    "requirejs@2.3.7": {"package/require.js": "vendor/require.js"},
    "@jupyter-widgets/html-manager@1.0.6": {"package/dist/": "vendor/html-manager/"},
}


def vendor_js(static: Path, cache: Path) -> None:
    """Fetch :data:`VENDORED` with ``npm pack`` (once, into ``cache``) and unpack the listed files into ``static``."""
    import tarfile

    cache.mkdir(parents=True, exist_ok=True)
    for spec, files in VENDORED.items():
        name, version = spec.rsplit("@", 1)
        tgz = cache / f"{name.lstrip('@').replace('/', '-')}-{version}.tgz"
        if not tgz.exists():
            if shutil.which("npm") is None:
                raise SystemExit("the book vendors MathJax and the widget manager with npm: "
                                 "run 'bash scripts/install-system-deps.sh' (Debian package npm)")
            subprocess.run(["npm", "pack", spec, "--silent", "--pack-destination", str(cache)], check=True,
                           stdout=subprocess.DEVNULL)
        with tarfile.open(tgz) as tar:
            for member in tar.getmembers():
                for src, dest in files.items():
                    if member.isfile() and not member.name.endswith(".map") and (
                            member.name == src or (src.endswith("/") and member.name.startswith(src))):
                        target = static / dest / member.name[len(src):] if src.endswith("/") else static / dest
                        target.parent.mkdir(parents=True, exist_ok=True)
                        target.write_bytes(tar.extractfile(member).read())


def build_book(build: Path, root: Path = ROOT) -> Path:
    """Stage the prose and executed notebooks and run ``jupyter-book build``; returns the HTML folder."""
    src = build / "src"
    src.mkdir(parents=True, exist_ok=True)
    for name in ("_config.yml", "_toc.yml"):
        shutil.copy(root / name, src / name)
    if (src / "book").exists():
        shutil.rmtree(src / "book")
    shutil.copytree(root / "book", src / "book")
    vendor_js(src / "_vendor", build / "npm")
    jb = Path(sys.executable).parent / "jupyter-book"
    cmd = [str(jb), "build", str(src), "--builder", "html", "-W", "-n", "--keep-going"]
    print("[book] " + " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True)
    html = build / "html"
    if html.exists():
        shutil.rmtree(html)
    shutil.copytree(src / "_build" / "html", html)
    return html


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python tools/book.py", description=__doc__.splitlines()[0])
    p.add_argument("--profile", choices=["quick", "full"], default="full")
    p.add_argument("--build", default=str(ROOT / "_build"), help="build folder (default _build/)")
    p.add_argument("--quiet-kernel", action="store_true", help="only set the kernel's environment (KERNEL_ENV)")
    args = p.parse_args(argv)
    if args.quiet_kernel:
        print(f"[book] kernel environment set in {quiet_kernel()}")
        return 0
    build = Path(args.build)
    if (build / "src").exists():
        shutil.rmtree(build / "src")
    t0 = time.perf_counter()
    times = execute(args.profile, build)
    html = build_book(build)
    times["_total"] = round(time.perf_counter() - t0, 1)
    (build / "timings.json").write_text(json.dumps({"profile": args.profile, "seconds": times}, indent=2))
    print(f"[book] built {html / 'index.html'} in {times['_total']} s ({args.profile} profile)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
