"""What supervision announces to the apps above it (upkeep builds its service orders on ours).

``work_order_changed`` is sent inside the transaction of every change of a work order, after its
event row is written and while the order's row lock is held: ``sender`` is ``WorkOrder``,
``order``, ``event`` (the ``WorkOrderEvent``), ``action`` (a ``transitions`` name, or
``"create"``, ``"remind"``, ``"escalate"``) and ``actor`` (a user or None for the beat task). A
receiver may write its own rows in that transaction (an exception rolls the change back); side
effects outside the database go through ``transaction.on_commit``. Receivers pick their own
orders by ``order.source`` or ``order.category.source``.
"""

from django.dispatch import Signal

work_order_changed = Signal()
