"""The orders app's side of ``files.uploads.OrderFiles``: where a lab's design or a file on an
order's thread goes, and what the order does when it is stored (ORD-3)."""

from dentalbridge.orders import access, services
from dentalbridge.patients.models import RecordItemKind


class OrderFiles:
    def upload_target(self, actor, order_id, *, for_message: bool):
        return access.design_upload_target(actor, order_id, for_message=for_message)

    def upload_received(self, actor, order_id, item, *, title: str) -> None:
        if item.kind == RecordItemKind.DESIGN:
            services.order_design_received(actor=actor, order_id=order_id, item=item)
        else:
            services.order_file_received(actor=actor, order_id=order_id, item=item, title=title)
