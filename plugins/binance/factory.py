"""Builds the Binance connector. Keys left empty in the settings come from the keyring."""

from __future__ import annotations

from pydantic import SecretStr

from plugins.binance.config import BinanceConfig
from plugins.binance.data_client import BinanceDataClient
from plugins.binance.execution_client import BinanceExecutionClient
from plugins.binance.instrument_provider import BinanceInstrumentProvider
from plugins.binance.rest import BinanceRest
from terminal.plugin_host.base import Connector, PluginContext
from terminal.secrets import SecretStore

SCOPE = "plugin.binance"  # the connections panel's secret scope for this plugin


def with_stored_keys(config: BinanceConfig, store: SecretStore | None = None) -> BinanceConfig:
    if config.has_keys():
        return config
    store = store or SecretStore()
    if not store.available():
        return config
    key, secret = store.get(SCOPE, "api_key"), store.get(SCOPE, "api_secret")
    if not (key and secret):
        return config
    return config.model_copy(update={"api_key": SecretStr(key), "api_secret": SecretStr(secret)})


def create(context: PluginContext, config: BinanceConfig) -> Connector:
    config = with_stored_keys(config)
    rest = BinanceRest(config.rest_url, api_key=config.api_key, api_secret=config.api_secret,
                       recv_window_ms=config.recv_window_ms, weight_limit=config.weight_limit,
                       snapshot_rate=config.snapshot_rate, snapshot_burst=config.snapshot_burst,
                       ban_backoff_s=config.ban_backoff_s)
    return Connector(
        plugin_id="binance", instruments=BinanceInstrumentProvider(rest),
        data=BinanceDataClient(context, config, rest),
        execution=BinanceExecutionClient(context, config, BinanceRest(
            config.rest_url, api_key=config.api_key, api_secret=config.api_secret,
            recv_window_ms=config.recv_window_ms, weight_limit=config.weight_limit,
            snapshot_rate=config.snapshot_rate, snapshot_burst=config.snapshot_burst,
            ban_backoff_s=config.ban_backoff_s)) if config.has_keys() else None)
