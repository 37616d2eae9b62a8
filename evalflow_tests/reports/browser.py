"""Headless Chromium and a tiny PNG reader, to test reports the way a person sees them.

Pillow is not a project dependency, so screenshots are decoded here with zlib:
PNG is chunks of (length, type, data, crc); the IDAT data is one zlib stream of
scanlines, each prefixed by a filter byte (None, Sub, Up, Average, Paeth).
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import struct
import subprocess
import zlib
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def ensure_chromium(timeout_s: float = 900.0) -> str | None:
    """Install chromium with apt when missing; return why not when impossible (else None)."""
    if CHROMIUM.exists():
        return None
    if shutil.which("apt-get") is None:
        return "chromium is not installed and apt-get is not available"
    if os.geteuid() != 0:
        return "chromium is not installed and installing it needs root (apt-get)"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (["apt-get", "update"], ["apt-get", "install", "-y", "chromium"]):
        try:
            done = subprocess.run(
                cmd, env=env, capture_output=True, text=True, timeout=timeout_s, check=False
            )
        except subprocess.TimeoutExpired:
            return f"`{' '.join(cmd)}` timed out after {timeout_s:.0f}s"
        if done.returncode != 0:
            return f"`{' '.join(cmd)}` failed: {done.stderr.strip()[-500:]}"
    return (
        None if CHROMIUM.exists() else "apt-get installed chromium but /usr/bin/chromium is missing"
    )


@dataclass
class Browser:
    profile: Path

    def _run(
        self, extra: list[str], url: str, timeout_s: float = 120.0
    ) -> subprocess.CompletedProcess[str]:
        cmd = [
            str(CHROMIUM),
            *CHROMIUM_FLAGS,
            f"--user-data-dir={self.profile}",
            "--virtual-time-budget=10000",
            *extra,
            url,
        ]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, check=False)

    def dump_dom(self, page: Path) -> tuple[str, str]:
        """The DOM after scripts ran, serialised, and Chromium's stderr (console log)."""
        done = self._run(["--dump-dom", "--enable-logging=stderr", "--v=0"], page.as_uri())
        if done.returncode != 0 or "<html" not in done.stdout:
            raise RuntimeError(
                f"chromium --dump-dom failed ({done.returncode}): {done.stderr[-2000:]}"
            )
        return done.stdout, done.stderr

    def screenshot(self, page: Path, png: Path, size: str = "1280,2000") -> bytes:
        done = self._run([f"--screenshot={png}", f"--window-size={size}"], page.as_uri())
        if done.returncode != 0 or not png.exists():
            raise RuntimeError(
                f"chromium --screenshot failed ({done.returncode}): {done.stderr[-2000:]}"
            )
        return png.read_bytes()


# -- PNG -----------------------------------------------------------------------
@dataclass
class Image:
    width: int
    height: int
    channels: int
    pixels: bytes  # row-major, `channels` bytes per pixel, no filter bytes

    def pixel(self, x: int, y: int) -> tuple[int, ...]:
        i = (y * self.width + x) * self.channels
        return tuple(self.pixels[i : i + self.channels])


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def decode_png(data: bytes) -> Image:
    """8-bit RGB/RGBA/grey, non-interlaced PNG (what Chromium writes) to raw pixels."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG file")
    pos, idat = 8, bytearray()
    width = height = depth = colour = interlace = -1
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour, _c, _f, interlace = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
        pos += 12 + length
    channels = {0: 1, 2: 3, 4: 2, 6: 4}.get(colour)
    if depth != 8 or channels is None or interlace != 0:
        raise ValueError(
            f"unsupported PNG: depth {depth}, colour type {colour}, interlace {interlace}"
        )
    raw = zlib.decompress(bytes(idat))
    stride = width * channels
    out = bytearray(height * stride)
    prev = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        ftype = raw[start]
        line = bytearray(raw[start + 1 : start + 1 + stride])
        if ftype == 1:
            for i in range(channels, stride):
                line[i] = (line[i] + line[i - channels]) & 0xFF
        elif ftype == 2:
            for i in range(stride):
                line[i] = (line[i] + prev[i]) & 0xFF
        elif ftype == 3:
            for i in range(stride):
                left = line[i - channels] if i >= channels else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 0xFF
        elif ftype == 4:
            for i in range(stride):
                left = line[i - channels] if i >= channels else 0
                up_left = prev[i - channels] if i >= channels else 0
                line[i] = (line[i] + _paeth(left, prev[i], up_left)) & 0xFF
        elif ftype != 0:
            raise ValueError(f"bad PNG filter type {ftype} on row {y}")
        out[y * stride : (y + 1) * stride] = line
        prev = line
    return Image(width, height, channels, bytes(out))


def colour_stats(img: Image, step: int = 4) -> tuple[int, float]:
    """(distinct colours, share of non-white pixels) over a grid of sampled pixels."""
    seen: set[tuple[int, ...]] = set()
    non_white = total = 0
    for y in range(0, img.height, step):
        for x in range(0, img.width, step):
            px = img.pixel(x, y)[:3]
            seen.add(px)
            total += 1
            non_white += any(c < 245 for c in px)
    return len(seen), non_white / max(total, 1)


# -- DOM -----------------------------------------------------------------------
class DomScan(HTMLParser):
    """Elements and text of a serialised DOM (as --dump-dom prints it)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.texts: list[str] = []
        self._stack: list[str] = []
        self.script_texts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))
        self._stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if self._stack and self._stack[-1] == tag:
            self._stack.pop()

    def handle_data(self, data: str) -> None:
        if self._stack and self._stack[-1] == "script":
            self.script_texts.append(data)
        else:
            self.texts.append(data)

    @classmethod
    def of(cls, dom: str) -> DomScan:
        scan = cls()
        scan.feed(dom)
        scan.close()
        return scan

    def has(self, tag: str, **attrs: str) -> bool:
        return any(
            t == tag and all(a.get(k) == v for k, v in attrs.items()) for t, a in self.elements
        )

    def has_class(self, tag: str | None, cls: str) -> bool:
        return any(
            (tag is None or t == tag) and cls in (a.get("class") or "").split()
            for t, a in self.elements
        )


def add_probe(html: str) -> str:
    """A copy of a report with a probe that records ``window.__pwned`` after load.

    The probe writes ``data-pwned`` on <html> once the load event has fired (after
    every image error handler). Its hash is added to the report's CSP so only the
    probe itself is allowed in addition to the report's own scripts.
    """
    probe = (
        "window.addEventListener('load', function () {"
        "document.documentElement.setAttribute('data-pwned', String(window.__pwned));"
        "});"
    )
    digest = base64.b64encode(hashlib.sha256(probe.encode()).digest()).decode()
    html = html.replace("script-src ", f"script-src 'sha256-{digest}' ", 1)
    at = html.index("</title>") + len("</title>")  # after the CSP meta, before any script
    return html[:at] + f"<script>{probe}</script>" + html[at:]
