"""What every scan station shares: the scan panel, the answer, the session's log.

Each station is its own blueprint (check-in, ironing, inspection, ...); this
package only renders. The rules live in :mod:`kiosk.scanning` and the ledger.
"""
