"""Corpus: readers, chunking, the document store, keyword and vector indexes, embeddings, hybrid retrieval,
sentence analysis."""
