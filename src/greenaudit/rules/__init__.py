"""The rules file (schemas/rules.yaml): grammar, loading, unit typing, evaluation, derivation."""
