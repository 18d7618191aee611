"""A real browser opens the report from disk: the graph and a lemma page render, offline.

Headless Chromium loads ``file://.../index.html`` and a lemma page. ``--dump-dom`` gives the
DOM after layout; a small probe page (written by the test, not part of the report) frames the
report page and records measured boxes into its own DOM, so the test sees what was laid out:
the SVG graph's nodes and the MathML fraction of a statement (a fraction laid out as MathML is
taller than a line of text; unsupported MathML would flow as inline text). The same launch
screenshots the probe page; the index's and a lemma page's frames are cut out of it and checked
for the verdict colours; they land next to the report (in ``$DPSVERIFY_ARTIFACTS/browser`` when
that is set, so CI can keep them).

Chromium comes from the Debian packages ``chromium`` and ``chromium-driver``. The test skips
when no browser is installed, except under CI (``CI`` set), where it must run.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.report.test_html import write_sample_report
from verify.report.html import FILL

# One worker runs the module in a row, so the report and the browser profile (module fixtures)
# are made once per session (interleaved with other modules, a module fixture is torn down and
# made again).
pytestmark = pytest.mark.xdist_group("browser")

BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
TIMEOUT_S = 60


def find_browser() -> str | None:
    explicit = os.environ.get("CHROMIUM")
    if explicit and Path(explicit).exists():
        return explicit
    for name in BROWSER_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="module")
def browser() -> str:
    found = find_browser()
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("CI is set but no Chromium is installed (apt-get install -y chromium)")
        pytest.skip("no Chromium installed (apt-get install -y chromium chromium-driver)")
    return found


@pytest.fixture(scope="module")
def profile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The browser profile (user data folder) of the module's launch, a folder of its own."""
    return tmp_path_factory.mktemp("chromium-profile")


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    artifacts = os.environ.get("DPSVERIFY_ARTIFACTS")
    if artifacts:
        out = Path(artifacts) / "browser"
        shutil.rmtree(out, ignore_errors=True)
    else:
        out = tmp_path_factory.mktemp("browser-report")
    return write_sample_report(out, full=True)


def run_browser(browser: str, profile: Path, *args: str) -> str:
    command = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        *args,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_S, check=False)
    assert done.returncode == 0, f"chromium failed ({done.returncode}):\n{done.stderr[-2000:]}"
    return done.stdout


def probe_page(targets: dict[str, tuple[str, int, int]]) -> str:
    """A page that frames each target (name: (page, width, height in px)), one below the other,
    and writes their measured layout (and each frame's box on the page), by name, into its own
    DOM."""
    frames = "".join(
        f'<iframe data-name="{name}" src="{page}" width="{width}" height="{height}" '
        'style="display: block; border: 0; margin: 0"></iframe>'
        for name, (page, width, height) in targets.items()
    )
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8"></head>
<body style="margin: 0">
{frames}<pre id="probe">pending</pre>
<script>
const box = (el) => {{
  if (!el) return null;
  const r = el.getBoundingClientRect();
  return {{x: r.x, y: r.y, width: r.width, height: r.height}};
}};
const shape = (g) => g.querySelector("rect,ellipse,polygon");
function describe(doc) {{
  const math = doc.querySelector("#statement math");
  return {{
    title: doc.title,
    svg: box(doc.querySelector("#blueprint")),
    nodes: Array.from(doc.querySelectorAll("#blueprint g.node")).map((g) => ({{
      id: g.dataset.id, verdict: g.dataset.verdict, box: box(g),
      fill: shape(g) ? getComputedStyle(shape(g)).fill : null,
    }})),
    math: box(math),
    fraction: box(doc.querySelector("#statement mfrac")),
    identifier: box(doc.querySelector("#statement math mi")),
    mathDisplay: math ? getComputedStyle(math).display : null,
    fractions: Array.from(doc.querySelectorAll("#statement mfrac")).map((f) => ({{
      numerator: box(f.children[0]), denominator: box(f.children[1]),
    }})),
    overs: Array.from(doc.querySelectorAll("#statement mover")).map((m) => ({{
      base: box(m.children[0]), base_text: m.children[0].textContent,
      over: box(m.children[1]), over_text: m.children[1].textContent,
    }})),
    summary: box(doc.querySelector("#summary")),
    summaryLinks: Array.from(doc.querySelectorAll("#summary a")).map((a) => a.getAttribute("href")),
    summaryScroll: doc.querySelector("#summary") ? {{
      scrollWidth: doc.querySelector("#summary").parentElement.scrollWidth,
      clientWidth: doc.querySelector("#summary").parentElement.clientWidth,
    }} : null,
    viewport: doc.documentElement.clientWidth,
    images: Array.from(doc.images).map((img) => ({{src: img.getAttribute("src"),
      naturalWidth: img.naturalWidth}})),
  }};
}}
window.addEventListener("load", () => {{
  const pages = {{}};
  for (const frame of document.querySelectorAll("iframe")) {{
    pages[frame.dataset.name] = {{...describe(frame.contentDocument), frame: box(frame)}};
  }}
  document.getElementById("probe").textContent = JSON.stringify(pages);
}});
</script></body></html>"""


PAGES = {
    # name: (page, frame width, frame height in px)
    "index.html": ("index.html", 1400, 1400),
    "index.html@1280": ("index.html", 1280, 1000),
    "lemma-C.16.html": ("lemma-C.16.html", 1400, 1600),
    "lemma-B.2.html": ("lemma-B.2.html", 1400, 1000),
}
SHOTS = {"index.html": "screenshot-index.png", "lemma-C.16.html": "screenshot-lemma-C.16.png"}


@pytest.fixture(scope="module")
def measured(browser: str, report: Path, profile: Path) -> dict:
    """Measured layout of the index (1400 and 1280 px wide) and of two lemma pages, and a
    screenshot of the index and of lemma C.16 (``shot``: its path), from one browser launch
    (each launch costs about a CPU-second): the probe page frames the pages one below the
    other, Chromium writes its DOM after load and a screenshot of the whole window, and each
    page's screenshot is its frame's box cut out of that."""
    from PIL import Image

    probe = report.parent / "probe.html"
    whole = report.parent / "probe.png"
    probe.write_text(probe_page(PAGES), encoding="utf-8")
    height = sum(h for _, _, h in PAGES.values()) + 200  # and the probe's own line
    dom = run_browser(
        browser,
        profile,
        "--allow-file-access-from-files",
        f"--window-size=1500,{height}",
        "--dump-dom",
        f"--screenshot={whole}",
        probe.as_uri(),
    )
    probe.unlink()
    match = re.search(r'<pre id="probe">(.*?)</pre>', dom, re.DOTALL)
    assert match, dom[-2000:]
    text = html.unescape(match.group(1))
    assert text != "pending", "the framed pages did not load"
    layouts = json.loads(text)
    assert whole.exists(), "no screenshot written"
    with Image.open(whole) as picture:
        assert picture.size == (1500, height), picture.size
        for name, shot_name in SHOTS.items():
            frame = layouts[name]["frame"]
            left, top = round(frame["x"]), round(frame["y"])
            cut = (left, top, left + round(frame["width"]), top + round(frame["height"]))
            shot = report.parent / shot_name
            picture.crop(cut).save(shot)
            assert shot.stat().st_size > 10_000, f"{shot_name}: screenshot empty"
            layouts[name]["shot"] = str(shot)
    whole.unlink()
    return layouts


def colours_present(shot: Path) -> set[str]:
    """Verdict fills that appear in a screenshot (exact fill colour, within rounding).

    The screenshot's distinct colours (Pillow, matplotlib's image library, counts them in one
    pass) are compared with each fill, not its two million pixels five times over."""
    import numpy as np
    from PIL import Image

    with Image.open(shot) as picture:
        counted = picture.convert("RGB").getcolors(maxcolors=1 << 24)
    colours = np.array([colour for _, colour in counted], dtype=np.int16)
    found = set()
    for verdict, fill in FILL.items():
        rgb = np.array([int(fill[i : i + 2], 16) for i in (1, 3, 5)], dtype=np.int16)
        if np.any(np.all(np.abs(colours - rgb) <= 2, axis=-1)):
            found.add(str(verdict))
    return found


def test_index_has_graph_and_table(measured: dict) -> None:
    layout = measured["index.html"]
    assert layout["svg"] is not None
    ids = {n["id"] for n in layout["nodes"]}
    assert {"C.16", "Thm.1.8"} <= ids
    assert layout["summary"] is not None and "lemma-C.16.html" in layout["summaryLinks"]


def test_graph_is_laid_out_and_screenshot_shows_verdicts(measured: dict) -> None:
    layout = measured["index.html"]
    assert layout["title"] == "dpsverify report"
    assert layout["svg"]["width"] > 800 and layout["svg"]["height"] > 300
    nodes = {n["id"]: n for n in layout["nodes"]}
    assert len(nodes) >= 40
    for node in nodes.values():
        assert node["box"]["width"] > 50 and node["box"]["height"] > 20, node
    assert nodes["C.16"]["fill"] == "rgb(143, 214, 148)"  # certified green, as computed style
    assert nodes["L.3.4"]["verdict"] == "not checked"
    boxes = sorted((n["box"]["x"], n["box"]["y"]) for n in nodes.values())
    assert len(set(boxes)) == len(boxes), "two nodes drawn at the same place"

    seen = colours_present(Path(layout["shot"]))
    assert {"certified", "statistical", "inconclusive", "error", "None"} <= seen, seen


def test_lemma_page_renders_mathml_and_plot(measured: dict) -> None:
    layout = measured["lemma-C.16.html"]
    assert layout["title"].startswith("C.16")
    assert layout["mathDisplay"] in ("block", "block math")
    fraction, identifier = layout["fraction"], layout["identifier"]
    assert fraction is not None and identifier is not None
    # Stacked numerator over denominator: clearly taller than one identifier.
    assert fraction["height"] > 1.6 * identifier["height"], layout
    assert layout["math"]["width"] > 200
    images = {img["src"]: img["naturalWidth"] for img in layout["images"]}
    assert images.get("c16_ratio.png") == 64  # the relative plot link resolved and decoded

    assert "certified" in colours_present(Path(layout["shot"]))


def test_b2_fractions_stack_and_bars_show(measured: dict) -> None:
    """B.2's ``\\tfrac14`` draws stacked (numerator above denominator) and ``\\bar\\Phi``
    draws its bar above the letter."""
    layout = measured["lemma-B.2.html"]
    assert layout["title"].startswith("B.2")
    fractions = layout["fractions"]
    assert len(fractions) >= 2, layout  # \tfrac14 and \tfrac34
    for fraction in fractions:
        numerator, denominator = fraction["numerator"], fraction["denominator"]
        assert numerator["height"] > 0 and denominator["height"] > 0, fraction
        assert numerator["y"] + numerator["height"] <= denominator["y"] + 1, fraction
    bars = [m for m in layout["overs"] if m["base_text"] == "Φ"]
    assert len(bars) >= 2, layout["overs"]  # both \bar\Phi of the statement
    for bar in bars:
        assert bar["over_text"] in ("¯", "‾", "―"), bar
        assert bar["over"]["height"] > 0 and bar["over"]["width"] > 0, bar
        assert bar["over"]["y"] < bar["base"]["y"] + 0.5 * bar["base"]["height"], bar


def test_summary_table_fits_1280_pixels(measured: dict) -> None:
    """At a 1280 px wide window the summary table needs no horizontal scrolling."""
    layout = measured["index.html@1280"]
    assert layout["viewport"] <= 1280, layout["viewport"]
    scroll = layout["summaryScroll"]
    assert scroll["scrollWidth"] <= scroll["clientWidth"], scroll
    assert layout["summary"]["x"] + layout["summary"]["width"] <= layout["viewport"], layout
