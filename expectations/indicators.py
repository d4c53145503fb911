"""Expectations of the other socio-economic indicators workbook (`Chỉ tiêu`).

Cross-field rule: the product value TGTSP equals the sum of its three sectors in every filled month
(within the rounding of one decimal per sector). Ranges: rates 0–100 (shared rule), counts and values
not negative; ANTT says `Giữ vững` or `Không giữ vững`. History: no 100× jumps.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from expectations.checks import (
    Check,
    DeliveryContext,
    between,
    columns_present,
    derived,
    in_set,
    no_unknown_columns,
    unique,
)
from expectations.common import no_spikes, numbers_table, parents_off

INDICATORS = ["TGTSP", "TGTSP_NLTS", "TGTSP_CNXD", "TGTSP_TMDV", "TNBQ", "HO_NGHEO", "GDVH", "TDP_VH",
              "LUOT_KHACH", "NUOC_SACH", "CTR_SH", "ANTT"]
MONTHS = [f"thang_{m}" for m in range(1, 13)]
REQUIRED = ["stt", "ma_chi_tieu", "chi_tieu", *MONTHS, "source_file", "sheet", "row_number"]
OPTIONAL = ["don_vi_tinh", "nam_truoc", "ke_hoach_nam", "ghi_chu", "trang_thai_so_lieu", "raw_cells"]
PARTS = {"TGTSP": ["TGTSP_NLTS", "TGTSP_CNXD", "TGTSP_TMDV"]}
ROUNDING = 0.05  # half a unit of the one written decimal, per summed row (file units)
NON_NEGATIVE = ["TGTSP", "TGTSP_NLTS", "TGTSP_CNXD", "TGTSP_TMDV", "TNBQ", "LUOT_KHACH"]


def _parent_equals_children(ctx: DeliveryContext) -> pd.Series:
    rec = ctx.records
    codes = rec["ma_chi_tieu"].astype(str).to_numpy()
    holds = np.ones(len(rec), dtype=bool)
    values = None
    for parent, children in PARTS.items():
        parents = codes == parent
        parts = np.isin(codes, children)
        if not parents.any() or not parts.any():
            continue
        values = numbers_table(rec, MONTHS) if values is None else values
        # A month the parent leaves empty is not compared.
        holds[parents_off(values, parents, parts, ROUNDING * len(children) + 1e-9)] = False
    return pd.Series(holds, index=rec.index)


def checks() -> list[Check]:
    """The indicators dataset's rules."""
    return [
        columns_present("indicators.columns_present", "records", REQUIRED,
                        "Biểu chỉ tiêu có đủ các cột bắt buộc", "The indicators sheet has every required column"),
        no_unknown_columns("indicators.no_unknown_columns", "records", REQUIRED + OPTIONAL,
                           "Biểu chỉ tiêu không có cột lạ", "The indicators sheet has no unknown column"),
        unique("indicators.code_unique", ["ma_chi_tieu"], "Không trùng mã chỉ tiêu", "No indicator code twice"),
        derived("indicators.parent_equals_children", _parent_equals_children,
                "TGTSP bằng tổng ba khu vực (nông nghiệp, công nghiệp - xây dựng, dịch vụ), sai số làm tròn",
                "TGTSP equals the sum of its three sectors, within rounding"),
        between("indicators.value_not_negative", "value", 0, None, "Giá trị và số lượng không âm",
                "Values and counts are not negative", frame="observations",
                condition=f"indicator_code in {NON_NEGATIVE!r}"),
        in_set("indicators.antt_text_known", "text_value", ["Giữ vững", "Không giữ vững"],
               "An ninh trật tự ghi 'Giữ vững' hoặc 'Không giữ vững'",
               "Security status reads 'Giữ vững' or 'Không giữ vững'", frame="observations",
               condition="indicator_code == 'ANTT'"),
        no_spikes([i for i in INDICATORS if i != "ANTT"]),
    ]
