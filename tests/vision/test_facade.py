from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from jingzhi.vision.facade import Facade, FacadeCalibration, FacadeMask, load_facade, save_facade

# A fronto-parallel 20 m × 30 m facade at 10 px/m, offset by (100, 50); and a perspective one.
FLAT = {
    "corners": [[100, 50], [300, 50], [300, 350], [100, 350]],
    "floors": 10,
    "columns": 5,
    "floor_height_m": 3.0,
    "width_m": 20.0,
}
PERSPECTIVE = {
    "corners": [[210.8, 45.6], [429.2, 45.6], [474.0, 369.6], [166.0, 369.6]],
    "floors": 8,
    "columns": 5,
    "floor_height_m": 3.0,
    "width_m": 18.0,
}


def test_corners_map_to_facade_corners() -> None:
    f = Facade(FacadeCalibration.model_validate(PERSPECTIVE))
    uv = f.to_facade(PERSPECTIVE["corners"])
    assert np.allclose(uv, [[0, 24], [18, 24], [18, 0], [0, 0]], atol=1e-6)


def test_image_facade_round_trip() -> None:
    f = Facade(FacadeCalibration.model_validate(PERSPECTIVE))
    rng = np.random.default_rng(0)
    pts = rng.uniform([150, 30], [500, 380], size=(200, 2))
    back = f.to_image(f.to_facade(pts))
    assert np.allclose(back, pts, atol=1e-6)


def test_floor_one_is_at_the_bottom_and_column_one_at_the_left() -> None:
    f = Facade(FacadeCalibration.model_validate(FLAT))
    bottom_left = f.floor_column(101, 349)
    assert (bottom_left.floor, bottom_left.column, bottom_left.inside) == (1, 1, True)
    top_right = f.floor_column(299, 51)
    assert (top_right.floor, top_right.column) == (10, 5)
    # 4.5 m up (floor 2), 9 m in (column 3: 8-12 m).
    cell = f.floor_column(100 + 90, 350 - 45)
    assert (cell.floor, cell.column) == (2, 3)
    assert cell.floor_f == pytest.approx(2.5)


def test_outside_points_are_clamped_but_flagged() -> None:
    f = Facade(FacadeCalibration.model_validate(FLAT))
    above = f.floor_column(200, 0)
    assert above.floor == 10 and not above.inside


def test_cell_centre_maps_back_to_its_cell() -> None:
    f = Facade(FacadeCalibration.model_validate(PERSPECTIVE))
    for floor in range(1, 9):
        for column in range(1, 6):
            x, y = f.cell_centre_image(floor, column)
            cell = f.floor_column(x, y)
            assert (cell.floor, cell.column) == (floor, column)


def test_pixels_per_metre_is_the_metric_scale() -> None:
    f = Facade(FacadeCalibration.model_validate(FLAT))
    assert f.pixels_per_metre(200, 200) == pytest.approx(10.0, rel=1e-6)
    p = Facade(FacadeCalibration.model_validate(PERSPECTIVE))
    # Seen from below, the top of the facade is farther away: fewer pixels per metre.
    assert p.pixels_per_metre(320, 60) < p.pixels_per_metre(320, 360)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"corners": [[300, 50], [100, 50], [100, 350], [300, 350]]}, "TL, TR, BR, BL"),
        ({"corners": [[100, 50], [300, 50], [300, 350]]}, "at least 4"),
        ({"corners": [[0, 0], [5, 0], [5, 5], [0, 5]]}, "too small"),
        ({"floors": 0}, "greater than or equal to 1"),
        ({"floor_height_m": 30.0}, "less than or equal to 8"),
        ({"width_m": -3}, "greater than 1"),
        ({"corners": [[100, 50], [300, 50], [300, float("nan")], [100, 350]]}, "finite"),
    ],
)
def test_invalid_calibrations_are_rejected(change: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        FacadeCalibration.model_validate({**FLAT, **change})


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    cal = FacadeCalibration.model_validate(
        {**PERSPECTIVE, "masks": [{"kind": "tree", "polygon": [[0, 300], [50, 300], [50, 360]]}]}
    )
    path = tmp_path / "facade.json"
    save_facade(cal, path)
    loaded = load_facade(path)
    assert loaded.calibration == cal
    assert json.loads(path.read_text())["floors"] == 8


@pytest.mark.parametrize(
    ("content", "message"),
    [("{not json", "not valid JSON"), ('{"floors": 3}', "invalid"), ("[]", "invalid")],
)
def test_load_reports_bad_files(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "facade.json"
    path.write_text(content)
    with pytest.raises(ValueError, match=message):
        load_facade(path)
    with pytest.raises(ValueError, match="cannot read"):
        load_facade(tmp_path / "missing.json")


def test_region_mask_handles_corners_outside_the_frame_and_masks() -> None:
    cal = FacadeCalibration.model_validate(
        {
            **FLAT,
            "corners": [[-500, -800], [900, -800], [700, 300], [-300, 300]],
            "masks": [FacadeMask(kind="tree", polygon=[(0, 200), (100, 200), (100, 299), (0, 299)])],
        }
    )
    mask = Facade(cal).region_mask((360, 640))
    assert mask[100, 320] == 255  # inside the facade
    assert mask[350, 320] == 0  # below the facade's foot
    assert mask[250, 50] == 0  # under the tree mask
    assert mask.mean() > 100  # most of the frame is facade
