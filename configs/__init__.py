"""The built-in scenarios, shipped inside the package as `flowsim._configs` (see pyproject.toml)."""
