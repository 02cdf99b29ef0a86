"""Proposals for the numeric mentions of a source that nobody has accounted for.

`document` splits a source into sentences and clauses, `noise` recognises mentions
that are not indicator values (clock times, ordinals, names), `period` finds the
expression that governs a figure's period, `scorer` ranks the catalog's indicators
for a figure by the words around it, `layout` reads enumerations, gridless tables
and chart labels, `proposal` puts them together into whole rows, and `evaluate`
measures them leave-one-source-out against the committed tables.
"""
