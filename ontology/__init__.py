"""The ontology, SHACL shapes and JSON-LD context, installed as package data of kg."""
