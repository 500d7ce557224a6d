"""Operators (操作员): who signs in, their role, PIN and badge; the PIN policy applied."""
