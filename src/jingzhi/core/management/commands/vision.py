"""``jingzhi vision throws VIDEO --facade FACADE.json [--jsonl]``: thrown-object detection (jingzhi.vision)."""

from jingzhi.core.management.passthrough import PassthroughCommand


class Command(PassthroughCommand):
    help = "Video analytics: thrown objects from high floors (run `jingzhi vision --help`)."
    engine_cli = "jingzhi.vision.cli"
