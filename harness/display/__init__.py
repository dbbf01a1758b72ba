"""Display: what a notebook user meets, shown as HTML tables and an SVG timeline, or as text.

Takes what the pipeline gives (Events, a CaseResult's delivery timeline and checkpoints, the
BillingStates Stripe implies and the app holds); gives small objects that show themselves in
Jupyter (`_repr_html_`, `_repr_svg_`) and as plain text in a terminal (`str()`). Only virtual
time and seeded ids are shown, so the same run always displays the same way.
"""

from .states import CaseView, StateTable
from .tables import DeliveryTable, EventTable, Table, when
from .timeline import Timeline

__all__ = ["CaseView", "DeliveryTable", "EventTable", "StateTable", "Table", "Timeline", "when"]
