"""viz.save_animation: a GIF with one frame per backward step (or per recorded lab state), read back with Pillow;
an MP4 of the same frames, read back with imageio-ffmpeg."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from PIL import Image, ImageChops

import nn
import viz
from autograd import Value


@pytest.fixture
def steps() -> viz.BackwardSteps:
    x = Value(2.0, label="x")
    w = Value(-3.0, label="w")
    y = (x * w + x).tanh()
    y.label = "y"
    return viz.backward_steps(y)


def gif_frames(path) -> list[Image.Image]:
    with Image.open(path) as gif:
        assert gif.format == "GIF"
        frames = []
        for k in range(gif.n_frames):
            gif.seek(k)
            frames.append(gif.convert("RGB"))
        return frames


def test_one_gif_frame_per_backward_step(steps, tmp_path) -> None:
    path = viz.save_animation(steps, tmp_path / "backward.gif")
    frames = gif_frames(path)
    assert len(frames) == len(steps) == 5
    assert all(f.size == viz.SLIDE_SIZE == (1280, 720) for f in frames)
    # consecutive frames differ (the highlighted node moves, a δ appears), and each is not blank
    for a, b in zip(frames, frames[1:]):
        assert ImageChops.difference(a, b).getbbox() is not None
    for f in frames:
        assert np.asarray(f).min() < 100  # dark text and lines on white
    with Image.open(path) as gif:
        assert gif.info["duration"] == 1200 and gif.info.get("loop") == 0


def test_the_frame_matches_the_pictures_dot_draws(steps, tmp_path) -> None:
    """The GIF's k-th frame is frame k's captioned picture (same rendering by dot), scaled onto the canvas."""
    path = viz.save_animation(steps[2:4], tmp_path / "two.gif", size=(640, 360), duration=300)
    frames = gif_frames(path)
    assert len(frames) == 2 and frames[0].size == (640, 360)
    with Image.open(path) as gif:
        assert gif.info["duration"] == 300
    ink = [np.asarray(f.convert("L")) < 128 for f in frames]
    assert 0.005 < ink[0].mean() < 0.5


def test_a_lab_run_one_frame_per_recorded_state(tmp_path) -> None:
    pytest.importorskip("anywidget")
    X, y = nn.moons(40, noise=0.1, seed=1)
    model = nn.MLP(2, [4, 1], activation="tanh", seed=3)
    lab = viz.Lab(model, X, y, loss="bce_with_logits", optimizer=nn.Adam(model.parameters(), lr=0.05), batch_size=16)
    lab.step(4)
    path = viz.save_animation(lab, tmp_path / "run.gif")
    frames = gif_frames(path)
    assert len(frames) == len(lab.frames) == 5 and frames[0].size == (1280, 720)
    assert ImageChops.difference(frames[0], frames[-1]).getbbox() is not None


def test_bad_arguments_are_named(steps, tmp_path) -> None:
    with pytest.raises(ValueError, match=r"save_animation: .*must end in \.gif or \.mp4"):
        viz.save_animation(steps, tmp_path / "run.webm")
    with pytest.raises(TypeError, match="save_animation: expected viz.backward_steps"):
        viz.save_animation([], tmp_path / "run.gif")
    with pytest.raises(ValueError, match="save_animation: size must be"):
        viz.save_animation(steps, tmp_path / "run.gif", size=(0, 10))
    assert not list(tmp_path.iterdir())  # nothing half-written


def mp4_frames(path) -> tuple[dict, list[np.ndarray]]:
    """The video's metadata and every frame decoded (RGB), read back by imageio-ffmpeg's own ffmpeg."""
    imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg")
    reader = imageio_ffmpeg.read_frames(str(path))
    meta = next(reader)
    w, h = meta["size"]
    return meta, [np.frombuffer(frame, np.uint8).reshape(h, w, 3) for frame in reader]


def test_one_mp4_frame_per_backward_step_like_the_gifs(steps, tmp_path) -> None:
    """The MP4 holds the GIF's frames: as many, as large, and each frame's pixels close to the GIF frame's."""
    gif = gif_frames(viz.save_animation(steps, tmp_path / "backward.gif"))
    path = viz.save_animation(steps, tmp_path / "backward.mp4")
    with path.open("rb") as f:
        assert f.read(12)[4:8] == b"ftyp"  # an ISO media file (MP4)
    meta, frames = mp4_frames(path)
    assert len(frames) == len(steps) == len(gif) == 5
    assert meta["size"] == viz.SLIDE_SIZE and meta["codec"].startswith("h264") and "yuv420p" in meta["pix_fmt"]
    assert meta["fps"] == pytest.approx(1000 / 1200, abs=0.005)  # ffmpeg prints it to 2 decimals
    assert meta["duration"] == pytest.approx(5 * 1.2, abs=0.05)  # 1.2 s a step, as the GIF
    for video, still in zip(frames, gif):
        difference = np.abs(video.astype(int) - np.asarray(still, dtype=int))
        assert difference.mean() < 1.0, difference.mean()  # the same picture (H.264 rounds colours a little)
        assert np.percentile(difference, 99) < 20
    for a, b in zip(frames, frames[1:]):  # the steps differ in the video too
        assert np.abs(a.astype(int) - b.astype(int)).max() > 100


def test_mp4_of_a_lab_run_at_its_own_rate(tmp_path) -> None:
    pytest.importorskip("anywidget")
    X, y = nn.moons(30, noise=0.1, seed=1)
    model = nn.MLP(2, [3, 1], activation="tanh", seed=3)
    lab = viz.Lab(model, X, y, loss="bce_with_logits", optimizer=nn.Adam(model.parameters(), lr=0.05), batch_size=10)
    lab.step(2)
    meta, frames = mp4_frames(viz.save_animation(lab, tmp_path / "run.mp4", size=(640, 360), duration=250))
    assert len(frames) == len(lab.frames) == 3 and meta["size"] == (640, 360) and meta["fps"] == pytest.approx(4.0)


def test_mp4_needs_even_sides_and_names_the_extra_when_missing(steps, tmp_path, monkeypatch) -> None:
    with pytest.raises(ValueError, match=r"save_animation: an MP4 \(yuv420p\) needs an even width and height"):
        viz.save_animation(steps, tmp_path / "run.mp4", size=(641, 360))
    monkeypatch.setitem(sys.modules, "imageio_ffmpeg", None)  # not installed
    with pytest.raises(ModuleNotFoundError, match=r"imageio-ffmpeg.*pip install 'deltagrad\[video\]'"):
        viz.save_animation(steps, tmp_path / "run.mp4")
    assert not list(tmp_path.iterdir())  # nothing half-written


def test_a_regression_run_draws_the_fitted_curve(tmp_path) -> None:
    """A regression lab's frames carry the fitted curve ({"x", "y"}); each recorded image draws it over the points."""
    pytest.importorskip("anywidget")
    X, y = nn.sine(30, seed=0)
    model = nn.MLP(1, [8, 1], activation="tanh", seed=0)
    lab = viz.Lab(model, X, y, loss="mse", optimizer=nn.Adam(model.parameters(), lr=0.05), batch_size=10)
    lab.step(3)
    assert lab.frames[-1]["curve"]["x"]
    with_curve = gif_frames(viz.save_animation(lab, tmp_path / "fit.gif", size=(640, 360)))
    without = [{**frame, "curve": {}} for frame in lab.frames]  # the same states, the curve left out
    points_only = gif_frames(viz.save_animation(without, tmp_path / "points.gif", size=(640, 360)))
    assert len(with_curve) == len(lab.frames) == 4
    dark = [(np.asarray(f.convert("L"))[:, :320] < 60).sum() for f in (with_curve[-1], points_only[-1])]
    assert dark[0] > dark[1] + 200, dark  # the black line of y = model(x) across the data panel
