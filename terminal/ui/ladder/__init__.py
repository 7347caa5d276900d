"""The order book ladder (DOM) and the depth chart."""

from terminal.ui.ladder.depth_chart import DepthChart
from terminal.ui.ladder.ladder_model import Column, LadderModel
from terminal.ui.ladder.ladder_widget import LadderWidget

__all__ = ["Column", "DepthChart", "LadderModel", "LadderWidget"]
