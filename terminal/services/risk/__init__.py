"""Pre-trade risk: the base gate and the risk engine, one rule family per module.

Every refusal raises RiskRejected(reason, message) with a stable reason code:
kill_switch, not_trading, instrument_constraint, missing_price, missing_stop_price,
max_order_qty, min_notional, max_order_notional, max_working_orders (base.py);
price_band; reduce_only; duplicate_order; order_rate, cancel_rate (throttle.py);
insufficient_balance; max_position, max_gross_exposure, max_account_position,
max_account_gross_exposure (exposure.py). The daily loss limit trips the kill switch.
"""

from terminal.services.risk.engine import LimitStore, RiskEngine
from terminal.services.risk.gate import RiskGate
from terminal.services.risk.limits import ACCOUNT_ONLY, RiskLimits

__all__ = ["ACCOUNT_ONLY", "LimitStore", "RiskEngine", "RiskGate", "RiskLimits"]
