"""The garment state machine, as data.

Every workflow moves a garment through :func:`next_status`; a move that is
not in :data:`TRANSITIONS` raises :class:`TransitionRefused` with a reason the
user can read, and nothing changes.
"""
from __future__ import annotations

from enum import StrEnum

from .errors import DomainError, Label, N_


class Status(StrEnum):
    IN_STOCK = "in_stock"
    ISSUED = "issued"
    SPARE_ISSUED = "spare_issued"
    LOANED = "loaned"
    DIRTY = "dirty"
    IRONING = "ironing"
    INSPECTION = "inspection"
    AT_TAILOR = "at_tailor"
    MISSING = "missing"
    WRITTEN_OFF = "written_off"
    IN_TRANSIT = "in_transit"        # sent to another property of the group, not yet received (调拨途中)


class Action(StrEnum):
    ISSUE = "issue"                  # clean garment handed to its owner
    ISSUE_SPARE = "issue_spare"      # spare handed out because the own one cannot be
    LOAN = "loan"                    # lent to a borrower (借衣)
    CHECK_IN = "check_in"            # dirty garment handed in (收衣)
    WASH = "wash"                    # washed, waiting at the ironing station
    IRON = "iron"                    # ironed, on to inspection
    PASS = "pass"                    # inspection passed, slotted by number (配入)
    REWASH = "rewash"                # inspection failed: back to the wash
    REIRON = "reiron"                # inspection failed: back to ironing
    TO_TAILOR = "to_tailor"          # damaged: sent to the tailor (裁缝间)
    FROM_TAILOR = "from_tailor"      # mended, back for inspection
    MARK_MISSING = "mark_missing"    # not found at stocktake
    FOUND = "found"                  # a missing garment turns up
    WRITE_OFF = "write_off"          # 报损
    TRANSFER_OUT = "transfer_out"    # scanned out to another property (调拨发出)
    TRANSFER_IN = "transfer_in"      # scanned in at the receiving property (调拨接收)
    TRANSFER_CANCEL = "transfer_cancel"  # back in the sender's stock, never received (调拨撤回)


S = Status
_ALL_BUT_WRITTEN_OFF = frozenset(s for s in Status if s is not Status.WRITTEN_OFF)

#: action -> (statuses it may start from, status it lands in)
TRANSITIONS: dict[Action, tuple[frozenset[Status], Status]] = {
    Action.ISSUE: (frozenset({S.IN_STOCK}), S.ISSUED),
    Action.ISSUE_SPARE: (frozenset({S.IN_STOCK}), S.SPARE_ISSUED),
    Action.LOAN: (frozenset({S.IN_STOCK}), S.LOANED),
    Action.CHECK_IN: (frozenset({S.ISSUED, S.SPARE_ISSUED, S.LOANED}), S.DIRTY),
    Action.WASH: (frozenset({S.DIRTY}), S.IRONING),
    Action.IRON: (frozenset({S.DIRTY, S.IRONING}), S.INSPECTION),
    Action.PASS: (frozenset({S.INSPECTION}), S.IN_STOCK),
    Action.REWASH: (frozenset({S.INSPECTION}), S.DIRTY),
    Action.REIRON: (frozenset({S.INSPECTION}), S.IRONING),
    Action.TO_TAILOR: (frozenset({S.INSPECTION, S.IN_STOCK}), S.AT_TAILOR),
    Action.FROM_TAILOR: (frozenset({S.AT_TAILOR}), S.INSPECTION),
    Action.MARK_MISSING: (
        frozenset({S.IN_STOCK, S.DIRTY, S.IRONING, S.INSPECTION, S.AT_TAILOR}),
        S.MISSING,
    ),
    Action.FOUND: (frozenset({S.MISSING}), S.INSPECTION),
    Action.WRITE_OFF: (_ALL_BUT_WRITTEN_OFF, S.WRITTEN_OFF),
    # Only a clean garment in its slot travels (spare or owned); it arrives in the receiver's stock
    # (kiosk.ledger.receive_transfer hands it over), or comes back to the sender's.
    Action.TRANSFER_OUT: (frozenset({S.IN_STOCK}), S.IN_TRANSIT),
    Action.TRANSFER_IN: (frozenset({S.IN_TRANSIT}), S.IN_STOCK),
    Action.TRANSFER_CANCEL: (frozenset({S.IN_TRANSIT}), S.IN_STOCK),
}

STATUS_LABELS: dict[Status, str] = {
    S.IN_STOCK: N_("In stock"),
    S.ISSUED: N_("Issued"),
    S.SPARE_ISSUED: N_("Spare issued"),
    S.LOANED: N_("On loan"),
    S.DIRTY: N_("Dirty"),
    S.IRONING: N_("Ironing"),
    S.INSPECTION: N_("Inspection"),
    S.AT_TAILOR: N_("At the tailor"),
    S.MISSING: N_("Missing"),
    S.WRITTEN_OFF: N_("Written off"),
    S.IN_TRANSIT: N_("In transit"),
}

ACTION_LABELS: dict[Action, str] = {
    Action.ISSUE: N_("Issue"),
    Action.ISSUE_SPARE: N_("Issue a spare"),
    Action.LOAN: N_("Lend"),
    Action.CHECK_IN: N_("Check in"),
    Action.WASH: N_("Wash"),
    Action.IRON: N_("Iron"),
    Action.PASS: N_("Pass"),
    Action.REWASH: N_("Rewash"),
    Action.REIRON: N_("Re-iron"),
    Action.TO_TAILOR: N_("Send to the tailor"),
    Action.FROM_TAILOR: N_("Take back from the tailor"),
    Action.MARK_MISSING: N_("Mark missing"),
    Action.FOUND: N_("Mark found"),
    Action.WRITE_OFF: N_("Write off"),
    Action.TRANSFER_OUT: N_("Transfer out"),
    Action.TRANSFER_IN: N_("Receive a transfer"),
    Action.TRANSFER_CANCEL: N_("Cancel a transfer"),
}

#: Why a garment in a given status cannot be moved at all by most actions;
#: the user reads where the garment is, not just "refused".
_WHERE_IT_IS: dict[Status, str] = {
    S.IN_STOCK: N_("it is clean and in its slot"),
    S.ISSUED: N_("it is with its owner"),
    S.SPARE_ISSUED: N_("it is out as a spare"),
    S.LOANED: N_("it is on loan"),
    S.DIRTY: N_("it is waiting for the wash"),
    S.IRONING: N_("it is being ironed"),
    S.INSPECTION: N_("it is waiting for inspection"),
    S.AT_TAILOR: N_("it is at the tailor"),
    S.MISSING: N_("it is recorded as missing"),
    S.WRITTEN_OFF: N_("it has been written off"),
    S.IN_TRANSIT: N_("it is on its way to another hotel of the group"),
}


class TransitionRefused(DomainError):
    """The action is not allowed from the garment's current status."""

    def __init__(self, status: Status, action: Action) -> None:
        super().__init__(
            N_("%(action)s refused: %(where)s."),
            action=Label(ACTION_LABELS[action]),
            where=where_it_is(status),
        )
        self.status = status
        self.action = action


def where_it_is(status: Status | str) -> Label:
    """Where a garment in ``status`` is, as a refusal says it ("it is at the tailor")."""
    return Label(_WHERE_IT_IS[Status(status)])


def status_label(status: Status | str) -> Label:
    return Label(STATUS_LABELS[Status(status)])


def allowed(status: Status | str, action: Action | str) -> bool:
    sources, _ = TRANSITIONS[Action(action)]
    return Status(status) in sources


def next_status(status: Status | str, action: Action | str) -> Status:
    """The status ``action`` leads to from ``status``, or raise TransitionRefused."""
    status, action = Status(status), Action(action)
    sources, target = TRANSITIONS[action]
    if status not in sources:
        raise TransitionRefused(status, action)
    return target
