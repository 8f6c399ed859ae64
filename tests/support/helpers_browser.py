"""Drive Debian's headless Chromium for report tests: load a page, read back its DOM (with
each image's decoded size) and take a screenshot."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from PIL import Image

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--window-size=1280,1600",
]

# Appended to a copy of the report only (the report itself has no scripts): once the page has
# loaded, record each image's decoded size in the DOM so --dump-dom shows whether it rendered.
PROBE = """<script>
window.addEventListener("load", () => {
  for (const img of document.images) {
    img.setAttribute("data-natural", img.naturalWidth + "x" + img.naturalHeight);
  }
  document.body.setAttribute("data-probe", "done");
});
</script>"""


def chromium(args: list[str]) -> subprocess.CompletedProcess:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run the project setup (it installs Debian's chromium), "
                    "or `apt-get install -y chromium`")
    with tempfile.TemporaryDirectory() as profile:
        cmd = [str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", *args]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def dump_dom(html: Path) -> str:
    """The DOM after load, with `data-natural="WxH"` on every image."""
    probe = html.with_name(html.stem + "_probe.html")
    probe.write_text(html.read_text().replace("</body>", PROBE + "</body>"))
    try:
        proc = chromium(["--virtual-time-budget=10000", "--dump-dom", probe.as_uri()])
    finally:
        probe.unlink()
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert 'data-probe="done"' in proc.stdout, "the page did not finish loading"
    return proc.stdout


def rendered_plots(dom: str) -> list[str]:
    """The plot <img> tags, each checked to be an embedded PNG that decoded to a real size."""
    plots = [t for t in re.findall(r"<img\b[^>]*>", dom) if 'class="plot"' in t]
    for tag in plots:
        src = re.search(r'src="data:image/png;base64,([^"]+)"', tag)
        assert src and len(src.group(1)) > 1000, "plot is not an embedded PNG"
        size = re.search(r'data-natural="(\d+)x(\d+)"', tag)
        assert size and int(size.group(1)) > 100 and int(size.group(2)) > 100, f"plot did not decode: {tag[:120]}"
    return plots


def screenshot(html: Path, dest: Path) -> list[tuple[int, tuple[int, int, int]]]:
    """Save a screenshot of the page to `dest`; returns its colour histogram."""
    with tempfile.TemporaryDirectory() as tmp:
        shot = Path(tmp) / "shot.png"
        proc = chromium([f"--screenshot={shot}", html.as_uri()])
        assert proc.returncode == 0 and shot.exists(), proc.stderr[-2000:]
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, dest)
    with Image.open(dest) as img:
        assert img.size == (1280, 1600)
        colours = img.convert("RGB").getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) > 50, "screenshot looks blank"
    return colours
