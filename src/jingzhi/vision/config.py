"""Configuration of the thrown-object detector (validated, with ranges)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ChangeConfig(BaseModel):
    """Change detection on the luma plane inside the facade region."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    frame_gap: int = Field(default=2, ge=1, le=5, description="temporal difference I(t) - I(t-gap)")
    background_alpha: float = Field(default=0.1, gt=0.0, le=0.5, description="slow background learning rate per update")
    background_every: int = Field(default=4, ge=1, le=25, description="update the background every n frames")
    noise_k: float = Field(default=4.0, ge=1.0, le=20.0, description="threshold = k × estimated difference noise σ")
    threshold_min: float = Field(default=10.0, ge=2.0, le=100.0)
    threshold_max: float = Field(default=40.0, ge=5.0, le=200.0)
    edge_gain: float = Field(
        default=0.15, ge=0.0, le=2.0, description="threshold increase per grey level of local contrast"
    )
    noise_every: int = Field(default=25, ge=1, le=250, description="re-estimate the noise σ every n frames")
    margin_m: float = Field(
        default=3.0, ge=0.0, le=30.0, description="widen the facade region sideways (objects drift)"
    )
    global_fraction: float = Field(
        default=0.04, gt=0.0, le=1.0, description="changed share of the region that marks a global change"
    )
    shake_check_fraction: float = Field(
        default=0.002, gt=0.0, le=1.0, description="changed share that triggers a global-motion estimate"
    )
    relight_blobs: int = Field(
        default=8, ge=1, le=10000, description="more blobs than this: compensate light and shake, look again"
    )
    compensate_hold: int = Field(
        default=7,
        ge=0,
        le=250,
        description="after more than frame_gap frames in a row that needed light/shake compensation, compensate "
        "this many more without trying the plain comparison first",
    )
    shake_min_px: float = Field(default=0.3, ge=0.0, le=5.0, description="estimated shift that is compensated")
    shake_keep_px: float = Field(
        default=0.0,
        ge=0.0,
        le=5.0,
        description="estimated shift that is still compensated while the camera shakes (compensated the frame "
        "before); 0 keeps a shaking camera compensated however small the shift, so its frames stay clean and "
        "are not taken for rain (docs/PERFORMANCE.md, sessions 17-18)",
    )
    streak_edge_range: int = Field(
        default=30,
        ge=1,
        le=256,
        description="a thin vertical blob lying along the background's edges (its local range at least this on "
        "half the blob's centre column) is what a moving camera leaves, not a rain streak; 256 counts every one",
    )
    drop_top_edge_blobs: bool = Field(
        default=True,
        description="drop blobs touching the analysed region's top row (within the joining dilation): cut by the "
        "edge, their centre is not the object's, and a shaking camera leaves rows of them along a roof line or the "
        "frame's top; a track's start there looks like an apex, which the gate takes for a throw's (at the bottom "
        "a stalled end looks like braking, which it refuses, and a fall leaving the frame needs its last points) "
        "(docs/PERFORMANCE.md, session 21)",
    )
    max_blobs: int = Field(default=60, ge=1, le=10000, description="more blobs than this marks the frame as cluttered")
    min_area_px: int = Field(default=1, ge=1, le=1000)
    max_extent_m: float = Field(default=2.0, gt=0.1, le=20.0, description="larger blobs are not a thrown object")


class TrackConfig(BaseModel):
    """Constant-acceleration multi-target tracker."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_missed_s: float = Field(
        default=0.4, gt=0.0, le=5.0, description="coast a confirmed track this long without detections"
    )
    tentative_missed: int = Field(default=2, ge=0, le=10, description="frames a track with < confirm hits may miss")
    max_hidden_s: float = Field(
        default=1.0, ge=0.0, le=5.0, description="coast a confirmed track this long while it is behind a mask"
    )
    confirm_hits: int = Field(default=3, ge=2, le=20)
    gate_chi2: float = Field(default=16.0, gt=1.0, le=100.0, description="Mahalanobis gate (2 dof)")
    measurement_sigma_px: float = Field(default=1.5, gt=0.1, le=20.0)
    jerk_sigma_mps3: float = Field(
        default=30.0, gt=0.0, le=1000.0, description="process noise: unmodelled vertical jerk (drag, blur)"
    )
    jerk_sigma_x_mps3: float = Field(
        default=10.0, gt=0.0, le=1000.0, description="process noise sideways: drag on a slow sideways drift is small"
    )
    max_speed_mps: float = Field(default=45.0, gt=1.0, le=200.0, description="fastest plausible object (start gate)")
    max_up_speed_mps: float = Field(default=8.0, ge=0.0, le=50.0)
    max_side_speed_mps: float = Field(default=8.0, gt=0.0, le=50.0)


class GateConfig(BaseModel):
    """Physics rules a track must meet to be a thrown object."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_points: int = Field(default=8, ge=3, le=200)
    clutter_radius: float = Field(
        default=0.083,
        gt=0.0,
        le=1.0,
        description="other blobs within this radius (a share of the frame height) count as clutter near a track",
    )
    clutter_weight: float = Field(
        default=1.0,
        ge=0.0,
        le=20.0,
        description="a track needs min_points × (1 + weight × its mean number of clutter blobs nearby) points",
    )
    min_fill: float = Field(
        default=0.3, ge=0.0, le=1.0, description="share of frames in the judged span with a detection"
    )
    rain_min_area_px: float = Field(
        default=3.0, ge=0.0, le=100.0, description="median blob area of a track in rain (drops are specks)"
    )
    rain_max_gap_s: float = Field(
        default=0.2,
        ge=0.0,
        le=5.0,
        description="in rain, a track's points before a longer gap must not be a steady descent themselves",
    )
    rain_trim_points: int = Field(
        default=3,
        ge=0,
        le=20,
        description="in rain, a track must still look like a fall with any of its first this-many points dropped",
    )
    rain_steady_share: float = Field(
        default=0.5,
        ge=0.0,
        le=1.0,
        description="in rain, no stretch of a track holding this share of its points may be a steady descent "
        "(0: not tested)",
    )
    min_span_floors: float = Field(default=1.5, ge=0.5, le=20.0)
    window_s: float = Field(default=1.6, ge=0.3, le=10.0, description="judge the physics on the last this-many seconds")
    max_accel_g: float = Field(
        default=1.35, ge=1.0, le=3.0, description="downward acceleration above free fall (with slack)"
    )
    min_accel_g: float = Field(
        default=-0.25, ge=-2.0, le=1.0, description="most upward (braking) acceleration tolerated"
    )
    max_outward_mps: float = Field(
        default=3.0,
        ge=0.0,
        le=20.0,
        description="a throw may carry an object away from the wall, towards a camera in front of it, at up to this "
        "speed: seen from near, its growing image scale adds to its fall's apparent acceleration in facade metres, "
        "which the free-fall limit allows for where the calibration tells the camera's position (0: not allowed for)",
    )
    drag_limited_accel_g: float = Field(
        default=0.3, ge=0.0, le=1.0, description="below this the descent must be drag-limited"
    )
    min_terminal_mps: float = Field(
        default=3.0, ge=0.0, le=30.0, description="slowest drag-limited descent (leaves/paper are slower)"
    )
    glide_side_ratio: float = Field(
        default=1.0,
        ge=0.0,
        le=100.0,
        description="a drag-limited descent (below drag_limited_accel_g) may drift sideways at most this share of "
        "its descent speed: at terminal speed drag has also taken a throw's sideways speed, a gliding bird keeps it "
        "(0: not tested)",
    )
    max_side_speed_mps: float = Field(default=6.0, gt=0.0, le=50.0)
    max_side_accel_g: float = Field(default=0.6, gt=0.0, le=5.0)
    max_residual_m: float = Field(default=0.25, gt=0.0, le=5.0)
    residual_px: float = Field(
        default=2.0, ge=0.0, le=20.0, description="residual allowance for centroid noise, in pixels"
    )
    speck_area_px: float = Field(
        default=2.0, ge=0.0, le=100.0, description="a track whose median blob area is at most this is made of specks"
    )
    speck_residual_share: float = Field(
        default=0.5,
        gt=0.0,
        le=1.0,
        description="a track of specks must fit its path within this share of the residual allowance",
    )
    max_launch_mps: float = Field(default=6.0, ge=0.0, le=30.0, description="fastest initial throw")
    origin_margin_m: float = Field(default=1.5, ge=0.0, le=20.0)
    max_up_fraction: float = Field(default=0.25, ge=0.0, le=1.0, description="share of upward steps after the apex")
    max_global_fraction: float = Field(default=0.3, ge=0.0, le=1.0)
    max_object_m: float = Field(default=1.2, gt=0.05, le=10.0, description="median blob extent along the fall")
    max_unseen_s: float = Field(
        default=0.7, ge=0.0, le=5.0, description="longest fall before the first sighting, where that path was in view"
    )
    rain_streaks: float = Field(default=1.0, ge=0.0, le=1000.0, description="mean streaks per frame that means rain")
    judge_every: int = Field(default=3, ge=1, le=25, description="re-judge a candidate track every n frames")
    release_depth_m: float = Field(
        default=0.7, ge=0.0, le=5.0, description="typical release point in front of the facade (sill 0.3, balcony 1.2)"
    )
    origin_fit_s: float = Field(
        default=0.8, ge=0.2, le=5.0, description="fit the origin on the first this-many seconds"
    )
    stitch_s: float = Field(
        default=3.0, ge=0.0, le=10.0, description="join an alarm with an earlier one on the same path"
    )
    lookback_s: float = Field(
        default=1.5,
        ge=0.0,
        le=5.0,
        description="a track first seen falling steadily takes up earlier pieces of its fall that ended this "
        "long before it began (0: never)",
    )


class ThrowConfig(BaseModel):
    """Everything the thrown-object detector can be tuned with."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    change: ChangeConfig = Field(default_factory=ChangeConfig)
    track: TrackConfig = Field(default_factory=TrackConfig)
    gate: GateConfig = Field(default_factory=GateConfig)
