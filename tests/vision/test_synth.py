"""The scene generator is tested on its own: physics, projection, determinism and ground truth."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from jingzhi.vision.facade import Facade
from jingzhi.vision.synth import Scene, SceneSpec, ThrowSpec
from jingzhi.vision.synth.cli import main as synth_main
from jingzhi.vision.synth.physics import OBJECTS, G, integrate

from .conftest import SMALL


def test_free_fall_without_drag_is_half_g_t_squared() -> None:
    t = np.linspace(0.0, 2.0, 21)
    pos = integrate(OBJECTS["ball"], (0.0, 50.0, 0.0), (0.0, 0.0, 0.0), t)
    assert np.allclose(pos[:, 1], 50.0 - 0.5 * G * t**2, atol=1e-6)
    assert np.allclose(pos[:, 0], 0.0)


def test_initial_velocity_adds_linearly_without_drag() -> None:
    t = np.array([0.5, 1.0])
    pos = integrate(OBJECTS["ball"], (1.0, 30.0, 0.5), (2.0, 3.0, 1.0), t)
    assert np.allclose(pos[:, 0], 1.0 + 2.0 * t)
    assert np.allclose(pos[:, 1], 30.0 + 3.0 * t - 0.5 * G * t**2, atol=1e-6)


@pytest.mark.parametrize("kind", ["bottle", "fruit", "box", "bag", "litter"])
def test_terminal_velocity_is_reached(kind: str) -> None:
    obj = OBJECTS[kind]
    vt = obj.terminal_velocity
    assert 2.0 <= vt <= 40.0
    t = np.array([20.0, 20.1])
    pos = integrate(obj, (0.0, 10_000.0, 0.0), (0.0, 0.0, 0.0), t)
    speed = (pos[0, 1] - pos[1, 1]) / 0.1
    assert speed == pytest.approx(vt, rel=0.01)


def test_object_rests_on_the_ground() -> None:
    pos = integrate(OBJECTS["bottle"], (0.0, 5.0, 0.0), (0.0, 0.0, 0.0), [5.0])
    assert pos[0, 1] == 0.0


def test_same_seed_same_frames_and_truth() -> None:
    spec = SceneSpec(
        **SMALL, duration_s=0.4, seed=5, throws=[ThrowSpec(kind="fruit", floor=5, column=2, release_s=0.0)]
    )
    a, b = Scene(spec), Scene(spec)
    fa, fb = list(a.frames()), list(b.frames())
    assert len(fa) == 10 and all(np.array_equal(x, y) for x, y in zip(fa, fb, strict=True))
    assert a.ground_truth() == b.ground_truth()
    other = list(Scene(spec.model_copy(update={"seed": 6})).frames())
    assert not np.array_equal(fa[5], other[5])


def test_calibration_matches_the_camera_and_truth_starts_at_the_window() -> None:
    scene = Scene(
        SceneSpec(
            **SMALL,
            duration_s=1.0,
            throws=[ThrowSpec(kind="bottle", floor=6, column=3, release_s=0.2, velocity=(0, 0, 0.5))],
        )
    )
    facade = Facade(scene.calibration())
    truth = scene.truth[0]
    assert (truth.floor, truth.column, truth.release_s) == (6, 3, 0.2)
    t0, x0, y0 = truth.trajectory[0]
    assert t0 >= 0.2
    cell = facade.floor_column(x0, y0)
    assert (cell.floor, cell.column) == (6, 3)
    # Frames are grey uint8 of the requested size.
    frame = next(iter(scene.frames()))
    assert frame.shape == (360, 640) and frame.dtype == np.uint8


def test_synth_cli_writes_video_facade_and_truth(tmp_path: Path) -> None:
    rc = synth_main(
        [
            str(tmp_path),
            "--size",
            "320x180",
            "--duration",
            "0.5",
            "--floors",
            "6",
            "--throw",
            "box:4:2:0.1",
            "--distractor",
            "rain",
        ]
    )
    assert rc == 0
    truth = json.loads((tmp_path / "truth.json").read_text())
    assert truth["throws"][0]["floor"] == 4 and truth["distractors"] == ["rain"]
    assert (tmp_path / "scene.mp4").stat().st_size > 1000
    assert json.loads((tmp_path / "facade.json").read_text())["floors"] == 6
    with pytest.raises(SystemExit):
        synth_main([str(tmp_path), "--throw", "box:4"])
