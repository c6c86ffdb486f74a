"""Readmission dossiers: the evidence of nationality of an identified case, graded by
the requested state's readmission agreement, as JSON or a printable PDF."""
