"""Reading text: normalisation, numeric mentions, quantities, units and intervals."""
