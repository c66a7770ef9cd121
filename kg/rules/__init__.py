"""Rule packs: load and validate YAML, compile patterns and the gazetteer once."""

from .pack import RulePack, default_pack_path, load_pack

__all__ = ["RulePack", "default_pack_path", "load_pack"]
