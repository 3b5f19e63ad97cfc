"""The orders app's side of ``files.uploads.OrderFiles``: where a lab's design or a file on an
order's thread goes, and what the order does when it is stored (ORD-3)."""

from django.utils.translation import gettext as _

from dentalbridge.core.errors import Conflict
from dentalbridge.orders import access, services
from dentalbridge.orders.workflow import OPEN_STATES, OrderState
from dentalbridge.patients.models import RecordItemKind

# A design is uploaded while the order is in design (ORD-3); a file for the thread while it is open.
DESIGN_UPLOAD_STATES = frozenset({OrderState.IN_DESIGN})


class OrderFiles:
    def upload_target(self, actor, order_id, *, for_message: bool):
        order, patient = access.lab_upload_target(actor, order_id)
        if for_message and order.state not in OPEN_STATES:
            raise Conflict(_("This order is finished: no more files."), code="order_finished")
        if not for_message and order.state not in DESIGN_UPLOAD_STATES:
            raise Conflict(
                _("Design files can be uploaded only while the order is in design."),
                code="not_in_design",
            )
        return order, patient

    def upload_received(self, actor, order_id, item, *, title: str) -> None:
        if item.kind == RecordItemKind.DESIGN:
            services.order_design_received(actor=actor, order_id=order_id, item=item)
        else:
            services.order_file_received(actor=actor, order_id=order_id, item=item, title=title)
