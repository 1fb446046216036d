"""Reconciliation: observe Jenkins, read desired state, plan purely, apply."""
