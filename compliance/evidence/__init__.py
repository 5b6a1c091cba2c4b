"""Evidence: redaction, DSSE/in-toto signing, deterministic bundles, verification, the local store."""

from compliance.evidence.run import Recorded, record_evidence

__all__ = ["Recorded", "record_evidence"]
