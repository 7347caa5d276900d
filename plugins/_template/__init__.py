"""A copyable connector: copy this folder, rename the package and the id (docs/plugin-guide.md).

It streams a simple JSON websocket feed (`{"type": "trade"|"quote", ...}`) with reconnects;
replace data_client.py's decoding with your venue's.
"""
