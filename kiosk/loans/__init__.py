"""Loans (借衣登记): garments lent with the borrower's contact details, chased and retrieved."""
from flask import Blueprint

bp = Blueprint("loans", __name__, url_prefix="/loans")

from . import routes  # noqa: E402,F401
