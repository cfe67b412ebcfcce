"""Region reports: a profile computed once, rendered as HTML, PDF or Excel."""

from agglomera.report.profile import Note, RegionProfile, Section, build_profile

__all__ = ["Note", "RegionProfile", "Section", "build_profile"]
