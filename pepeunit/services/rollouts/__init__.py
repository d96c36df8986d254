"""Staged firmware rollouts (issue 15): policy, planning, lifecycle, operator control.

``effective`` answers which version a unit of a repo with a policy should run; the other
modules import services, that one only models (``target_version`` reads it).
"""
