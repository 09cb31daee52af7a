"""``jingzhi noise measure FILE.wav --fullscale-db C [--json]``: the sound-level meter (jingzhi.acoustics)."""

from jingzhi.core.management.passthrough import PassthroughCommand


class Command(PassthroughCommand):
    help = "Sound-level metering per IEC 61672-1 (run `jingzhi noise --help`)."
    engine_cli = "jingzhi.acoustics.cli"
