"""The economics of satisfaction (docs/methods.md section 12): churn and retention, lifetime value, satisfaction
-> behaviour, value at risk, customer priorities, RFM and customer delivered value. Pure numpy/scipy/statsmodels;
`analytics.economics.io` reads customer and transaction files with pyarrow.
"""

from analytics.economics.behaviour import behaviour_by_group, churn_model, zone_codes
from analytics.economics.cdv import delivered_value, to_0_100
from analytics.economics.churn import churn_rates, kaplan_meier, retention_curves
from analytics.economics.clv import clv_by_segment, clv_simple, clv_survival, margin_multiple
from analytics.economics.priority import grade_by_cutoffs, grade_by_pareto, priority_matrix, priority_ranking
from analytics.economics.rfm import quantile_scores, rfm, rfm_segment_codes
from analytics.economics.tables import CustomerTable, Factor, Transactions
from analytics.economics.value_at_risk import (
    group_churn_probability,
    value_at_risk,
    what_if_churn_cut,
    what_if_move,
)

__all__ = [
    "CustomerTable", "Factor", "Transactions", "behaviour_by_group", "churn_model", "churn_rates",
    "clv_by_segment", "clv_simple", "clv_survival", "delivered_value", "grade_by_cutoffs", "grade_by_pareto",
    "group_churn_probability", "kaplan_meier", "margin_multiple", "priority_matrix", "priority_ranking",
    "quantile_scores", "retention_curves", "rfm", "rfm_segment_codes", "to_0_100", "value_at_risk",
    "what_if_churn_cut", "what_if_move", "zone_codes",
]
