"""Evaluation: the evaluator over an engine, the process-pool executor, check scopes."""
