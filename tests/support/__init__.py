"""What tests share: seed paths and workspaces, scripted models, review doubles, fixtures (see conftest.py)."""
