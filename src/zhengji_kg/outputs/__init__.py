"""What is made of a built graph: queries and the adoption table, evaluation and training, the page, SHACL
validation, exports, the SPARQL endpoint and lexicon suggestions."""
