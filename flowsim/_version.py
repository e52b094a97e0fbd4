"""flowsim's version, in one place: pyproject.toml reads it (`[tool.setuptools.dynamic]`), and
`flowsim.__version__`, the CLI's `--version`, the experiment store and the Dask version check
import it from here, a module that imports nothing (so none of them imports the package's
`__init__`, which imports them)."""

__version__ = "0.1.0"
