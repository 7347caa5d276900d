"""The candlestick chart widget (chart_widget.ChartWidget) and its Qt-free parts:
series (bar store), geometry (what to draw), ticks/formatting/readout (text)."""
