"""Loans (借衣登记): garments lent with the borrower's contact details, chased and retrieved."""
from flask import Blueprint

from ..web import holds_personal_data

bp = holds_personal_data(Blueprint("loans", __name__, url_prefix="/loans"))  # borrowers' phones and signatures

from . import routes  # noqa: E402,F401
