"""Export: a reviewed draft as Markdown (the seed-000 layout), JSON or HTML."""
