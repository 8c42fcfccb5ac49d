"""viz.save_animation: a GIF with one frame per backward step (or per recorded lab state), read back with Pillow."""

from __future__ import annotations

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
    with pytest.raises(ValueError, match=r"save_animation: .*must end in \.gif"):
        viz.save_animation(steps, tmp_path / "run.mp4")
    with pytest.raises(TypeError, match="save_animation: expected viz.backward_steps"):
        viz.save_animation([], tmp_path / "run.gif")
    with pytest.raises(ValueError, match="save_animation: size must be"):
        viz.save_animation(steps, tmp_path / "run.gif", size=(0, 10))
    assert not list(tmp_path.iterdir())  # nothing half-written
