"""Recordings for slides: :func:`save_animation` writes backward steps or a training run as a GIF or an MP4.

Each frame is rasterised the way viz already makes PNGs: a backward step's
picture (caption on top) by Graphviz's ``dot -Tpng``; a lab's training frame
(the data with the decision boundary or fitted curve, the loss so far) by
matplotlib. Frames are centred on one canvas, by default 1280 × 720 (16:9, a
slide), so the animation does not jump. Pillow writes a GIF; an MP4 (H.264,
yuv420p: what slides, browsers and phones play) is encoded by the ffmpeg
program that the PyPI package imageio-ffmpeg ships inside its wheel (the
``video`` extra), so no system program is needed.
"""

from __future__ import annotations

import io
import math
import os
import tempfile
from collections.abc import Mapping, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

from .graph import Graph
from .plots import pyplot
from .steps import BackwardSteps, Frame

__all__ = ["save_animation", "SLIDE_SIZE", "FORMATS"]

SLIDE_SIZE = (1280, 720)
"""Pixels of a 16:9 slide at 720p: the default canvas of :func:`save_animation`."""

FORMATS = (".gif", ".mp4")
"""The file suffixes :func:`save_animation` writes (the suffix chooses the format)."""


def _image_module() -> Any:
    try:
        from PIL import Image
    except ModuleNotFoundError as e:  # matplotlib brings Pillow: the `plot` extra has it
        raise ModuleNotFoundError(
            "save_animation needs Pillow: pip install pillow (or deltagrad[plot])", name=e.name
        ) from e
    return Image


def _graph_png(graph: Graph, size: tuple[int, int]) -> bytes:
    """A frame's picture as PNG, rendered by ``dot`` at a resolution that fills ``size`` without upscaling."""
    copy = graph.copy()
    copy.graph_attr.pop("size", None)  # the notebook's 900 px fit: a slide has room for more
    copy.attr(dpi="144", bgcolor="white")
    return bytes(copy.pipe(format="png"))


def _lab_frame_png(frame: Mapping[str, Any], history: Mapping[str, Sequence[float]], size: tuple[int, int]) -> bytes:
    """One recorded lab state drawn with matplotlib: the data and what the model makes of it, the loss so far."""
    plt = pyplot()
    dpi = 100
    fig, (data, curve) = plt.subplots(1, 2, figsize=(size[0] / dpi, size[1] / dpi), dpi=dpi)
    try:
        points = frame.get("points") or []
        boundary = frame.get("boundary") or {}
        if boundary.get("values"):
            n = boundary["n"]
            values = [boundary["values"][r * n : (r + 1) * n] for r in range(n)]
            cmap = "tab10" if boundary.get("kind") == "class" else "RdBu_r"  # score > 0: class 1, tab10's orange
            if boundary.get("kind") == "class":
                data.imshow(values, extent=boundary["extent"], cmap=cmap, alpha=0.3, vmin=0, vmax=9, aspect="auto")
            else:
                limit = max(1e-9, max(abs(v) for v in boundary["values"]))
                data.imshow(
                    values, extent=boundary["extent"], cmap=cmap, alpha=0.35, vmin=-limit, vmax=limit, aspect="auto"
                )
                data.contour(values, levels=[0.0], extent=boundary["extent"], origin="upper", colors="k", linewidths=1)
        fitted = frame.get("curve") or {}  # regression: the model's output y at points x ({"x", "y", "extent"})
        if fitted.get("x"):
            data.plot(fitted["x"], fitted["y"], color="k", lw=2, label="model")
        if points:
            xs, ys, cs = zip(*[(p[0], p[1], p[2]) for p in points])  # regression's points are [x, y, y]
            classes = all(float(c).is_integer() and 0 <= c < 10 for c in cs) and not fitted.get("x")
            if classes:
                data.scatter(xs, ys, c=[int(c) for c in cs], cmap="tab10", vmin=0, vmax=9, s=18, edgecolors="k", lw=0.4)
            else:
                data.scatter(xs, ys, s=18, color="tab:blue", edgecolors="k", lw=0.4)
        data.set_title("data and the model")
        steps = list(history.get("step", []))
        losses = list(history.get("loss", []))
        if steps:
            curve.plot(steps, losses, color="tab:red", label="loss")
            curve.set_xlabel("step")
            curve.set_ylabel("loss")
            curve.set_ylim(bottom=0)
            accuracy = [a for a in history.get("accuracy", []) if a is not None and a >= 0]
            if len(accuracy) == len(steps):
                twin = curve.twinx()
                twin.plot(steps, accuracy, color="tab:green", label="accuracy")
                twin.set_ylim(0, 1.02)
                twin.set_ylabel("accuracy")
        accuracy_now = frame.get("accuracy_value", -1.0)
        title = f"step {frame.get('steps', 0)}, loss {frame.get('loss_value', math.nan):.4f}"
        if accuracy_now is not None and accuracy_now >= 0:
            title += f", accuracy {accuracy_now:.1%}"
        curve.set_title(title)
        fig.tight_layout()
        out = io.BytesIO()
        fig.savefig(out, format="png", dpi=dpi)
        return out.getvalue()
    finally:
        plt.close(fig)


def _training_frames(frames: Sequence[Mapping[str, Any]], size: tuple[int, int]) -> list[bytes]:
    """Each recorded state drawn with the loss history it had then (a lab's frame carries its own)."""
    return [_lab_frame_png(frame, frame.get("history") or {}, size) for frame in frames]


def _is_lab_frames(x: Any) -> bool:
    return isinstance(x, Sequence) and bool(x) and all(isinstance(f, Mapping) and "points" in f for f in x)


def _pictures(frames: Any, size: tuple[int, int]) -> tuple[list[Any], int]:
    """The frames as PIL images, and the default duration of one (ms)."""
    Image = _image_module()
    if isinstance(frames, (BackwardSteps, Frame)) or (
        isinstance(frames, Sequence) and frames and all(isinstance(f, Frame) for f in frames)
    ):
        steps = [frames] if isinstance(frames, Frame) else list(frames)
        return [Image.open(io.BytesIO(_graph_png(f.captioned(), size))) for f in steps], 1200
    recorded = getattr(frames, "frames", None)
    if recorded is not None and not isinstance(frames, Sequence):  # a Lab: its recorded states
        frames = recorded
    if _is_lab_frames(frames):
        return [Image.open(io.BytesIO(png)) for png in _training_frames(frames, size)], 150
    if isinstance(frames, Sequence) and frames and all(isinstance(f, Image.Image) for f in frames):
        return list(frames), 500
    raise TypeError(
        "save_animation: expected viz.backward_steps(...) (or a list of its Frames), a viz.Lab (or its .frames), "
        f"or a list of PIL images, got {type(frames).__name__}"
        + (" (empty)" if isinstance(frames, Sequence) and not frames else "")
    )


def _ffmpeg_module() -> Any:
    try:
        import imageio_ffmpeg
    except ModuleNotFoundError as e:
        raise ModuleNotFoundError(
            "save_animation: writing .mp4 needs imageio-ffmpeg, which ships its own ffmpeg program: "
            "pip install 'deltagrad[video]' (or save a .gif, which needs only Pillow)",
            name=e.name,
        ) from e
    return imageio_ffmpeg


def _on_canvas(Image: Any, picture: Any, size: tuple[int, int]) -> Any:
    """``picture`` scaled down (never up) to fit ``size`` and centred on a white canvas of that size (RGB)."""
    picture = picture.convert("RGB")
    scale = min(size[0] / picture.width, size[1] / picture.height, 1.0)
    if scale < 1.0:
        picture = picture.resize(
            (max(1, round(picture.width * scale)), max(1, round(picture.height * scale))), Image.LANCZOS
        )
    canvas = Image.new("RGB", size, "white")
    canvas.paste(picture, ((size[0] - picture.width) // 2, (size[1] - picture.height) // 2))
    return canvas


def _write_gif(Image: Any, canvases: list[Any], f: Any, duration: int, loop: int) -> None:
    # each frame its own 255-colour palette, without dithering: flat colours and text stay crisp
    paletted = [c.quantize(colors=255, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE) for c in canvases]
    paletted[0].save(
        f,
        format="GIF",
        save_all=True,
        append_images=paletted[1:],
        duration=duration,
        loop=loop,
        optimize=False,
        disposal=1,
    )


def _write_mp4(canvases: list[Any], path: str, duration: int) -> None:
    """H.264 in yuv420p at 1000/``duration`` frames per second, one video frame per canvas, written to ``path``."""
    ffmpeg = _ffmpeg_module()
    size = canvases[0].size
    writer = ffmpeg.write_frames(
        path,
        size,
        fps=Fraction(1000, duration),
        codec="libx264",
        quality=None,  # the -crf below instead
        pix_fmt_in="rgb24",
        pix_fmt_out="yuv420p",  # what every player decodes; it needs even sides (checked before)
        macro_block_size=1,  # the canvas as it is: never rescaled to a multiple of 16
        output_params=["-crf", "18", "-tune", "stillimage", "-movflags", "+faststart"],  # crisp text, web-ready
        ffmpeg_log_level="error",
    )
    writer.send(None)
    try:
        for canvas in canvases:
            writer.send(canvas.tobytes())
    finally:
        writer.close()


def save_animation(
    frames: Any,
    path: str | os.PathLike[str],
    size: tuple[int, int] = SLIDE_SIZE,
    duration: int | None = None,
    loop: int = 0,
) -> Path:
    """Write ``frames`` as an animated GIF or an MP4 video at ``path``, one image per frame, sized for a slide;
    returns the path.

    ``frames`` is one of:

    * ``viz.backward_steps(root)`` (or a list of its :class:`~viz.steps.Frame`\\ s):
      one image per backward step, the picture with its caption, as ``dot`` draws it;
    * a ``viz.Lab`` (or its ``.frames``): one image per recorded state of the
      training run, the data with the model's decision boundary and the loss curve so far;
    * a list of PIL images.

    The suffix of ``path`` chooses the format: ``.gif`` (Pillow; a palette of
    255 colours per frame) or ``.mp4`` (H.264, yuv420p, through the ffmpeg that
    the ``video`` extra's imageio-ffmpeg ships; no system program). Every image
    is scaled down to fit ``size`` (width, height in pixels; default 1280 × 720,
    a 16:9 slide; even sides for an MP4, as yuv420p halves the colour
    resolution) and centred on a white canvas of that size. ``duration`` is each
    frame's time in milliseconds (default 1200 for backward steps, 150 for a
    training run; an MP4 runs at 1000/duration frames per second). ``loop=0``
    repeats a GIF forever (a video's player decides). The file is written whole
    or not at all.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"save_animation: {str(path)!r} must end in .gif or .mp4 (the suffix chooses the format)")
    if (
        not isinstance(size, tuple)
        or len(size) != 2
        or not all(isinstance(s, int) and not isinstance(s, bool) and 16 <= s <= 8192 for s in size)
    ):
        raise ValueError(f"save_animation: size must be (width, height) in pixels, each 16..8192, got {size!r}")
    if suffix == ".mp4" and (size[0] % 2 or size[1] % 2):
        raise ValueError(f"save_animation: an MP4 (yuv420p) needs an even width and height, got {size!r}")
    if duration is not None and (isinstance(duration, bool) or not isinstance(duration, int) or duration < 10):
        raise ValueError(f"save_animation: duration must be an int >= 10 (milliseconds per frame), got {duration!r}")
    if suffix == ".mp4":
        _ffmpeg_module()  # said before any frame is drawn
    Image = _image_module()
    pictures, default = _pictures(frames, size)
    canvases = [_on_canvas(Image, p, size) for p in pictures]
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=f".tmp{suffix}")
    try:
        if suffix == ".gif":
            with os.fdopen(fd, "wb") as f:
                _write_gif(Image, canvases, f, duration or default, loop)
        else:
            os.close(fd)  # ffmpeg writes the file itself (the suffix tells it the container)
            _write_mp4(canvases, tmp, duration or default)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
    return path
