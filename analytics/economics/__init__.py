"""The economics of satisfaction: churn, lifetime value, value at risk, priorities, RFM, CDV (docs/methods.md
section 12). Pure numpy/scipy/statsmodels."""
