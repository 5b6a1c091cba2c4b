"""Policy: the check library, the packs, their parameters and cases, and the one analyser of
the Rego modules."""
