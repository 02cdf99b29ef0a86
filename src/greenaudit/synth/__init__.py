"""Synthetic workspaces with planted errors and their answer key (`greenaudit synth`)."""
