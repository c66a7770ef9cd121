"""Defence-cooperation knowledge-graph builder: news articles -> rules -> RDF facts."""

__version__ = "0.1.0"
