"""Long lists a page at a time: one page of rows, where it is, and the page asked for.

The registry's lists, the stocktake's preview and its closed list all page through here, with
the ``pager`` macro of ``_paging.html`` under them and the page asked for read by
:func:`kiosk.web.page_arg`. No Flask in here: services page their queries with it.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

T = TypeVar("T")


@dataclass
class Page(Generic[T]):
    items: list[T]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def _within(page: int, total: int, per_page: int) -> int:
    return min(max(1, page), max(1, math.ceil(total / per_page)))  # past the end: the last page


def paginate(session: Session, query: Select, page: int, per_page: int) -> Page:
    """One page of ``query``'s rows, counted first (a stale link past the end shows the last page)."""
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    page = _within(page, total, per_page)
    items = list(session.scalars(query.limit(per_page).offset((page - 1) * per_page)).unique())
    return Page(items=items, page=page, per_page=per_page, total=total)


def page_of(rows: Sequence[T], page: int, per_page: int) -> Page[T]:
    """One page of a list already in hand (a closed stocktake's kept list)."""
    page = _within(page, len(rows), per_page)
    return Page(items=list(rows[(page - 1) * per_page:page * per_page]), page=page, per_page=per_page,
                total=len(rows))
