"""jingzhi (精治): a platform for precision community governance."""

__version__ = "0.1.0"
