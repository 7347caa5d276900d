"""Settings of the paper broker."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field


class PaperConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    account_id: str = Field("paper", description="Account name shown in blotters")
    maker_fee_rate: Decimal = Field(Decimal("0.001"), ge=0, le=Decimal("0.05"),
                                    description="Fee rate for resting (maker) fills, 0.001 = 0.1%")
    taker_fee_rate: Decimal = Field(Decimal("0.001"), ge=0, le=Decimal("0.05"),
                                    description="Fee rate for aggressive (taker) fills")
    book_depth: int = Field(1000, ge=1, le=10_000, description="Levels walked by market orders")
    ack_latency_ms: int = Field(0, ge=0, le=10_000,
                                description="Simulated venue latency before acknowledgement")
