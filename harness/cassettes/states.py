"""Subscription fields a cassette's expected state gained after the format was first written.

`quantity` (seats) and `cancellation_feedback` (the portal survey answer) are tracked since the
simulator models them; a cassette recorded before lacks both and is written back without them,
byte for byte. `coupon` (the subscription's discount) is written only when one is set.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, model_serializer


class TrackedLater(BaseModel):
    quantity: int | None = None
    cancellation_feedback: str | None = None
    coupon: str | None = None

    @model_serializer(mode="wrap")
    def _leave_out_untracked(self, handler: Any) -> dict[str, Any]:
        data = handler(self)
        if self.quantity is None:  # recorded before these fields were tracked
            data.pop("quantity", None)
            data.pop("cancellation_feedback", None)
        if self.coupon is None:
            data.pop("coupon", None)
        return data
