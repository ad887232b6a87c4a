"""Review: the session state machine over a draft and its decisions journal (plain Python, no Textual)."""
