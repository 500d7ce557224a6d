"""A hotel group on one database: its properties (门店) and who works at each.

The records of a property and the one place every query of them is held to it:
:mod:`kiosk.scope`. This package: :mod:`.services` (which properties, who works where).
"""
