"""Local exchange servers for connector tests: real HTTP and websocket servers on 127.0.0.1.

They replay the real captures in ../shared/data/ws and the metadata in ../shared/data/ref
(read in place, never copied) and inject faults on request: drop every connection, stall,
HTTP 429/418 bursts, sequence gaps, bad frames, a maximum connection age.

`ExchangeSim` (server.py) starts one HTTP server and one websocket server shared by the
venues; `BinanceVenue`, `CoinbaseVenue` and `KrakenVenue` hold each venue's state.
"""
