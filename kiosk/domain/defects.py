"""Defect codes a garment can be flagged with (at ironing, at inspection).

The codes are stored in ``Garment.defects`` and in FLAG events; the labels are
msgids, translated by the web layer with ``gettext``.
"""
from __future__ import annotations

from .errors import N_

#: defect code -> label msgid, in the order the chips are shown
DEFECTS: dict[str, str] = {
    "damage": N_("Damage"),                      # 破损
    "missing_button": N_("Missing button"),      # 缺扣
    "missing_ornament": N_("Missing ornament"),  # 饰物不全
    "stain": N_("Stain"),                        # 污渍
    "faded_number": N_("Faded number"),          # 编号褪色
    "torn_seam": N_("Torn seam"),                # 开线
    "broken_zipper": N_("Broken zipper"),        # 拉链损坏
    "hair": N_("Hair"),                          # 有毛发
    "not_clean": N_("Not clean"),                # 未洗净
    "creased": N_("Creased"),                    # 熨烫不平
}
