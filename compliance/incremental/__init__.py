"""Incremental runs: the result cache and the units it stores."""
