"""gkml: turn YAML disclosure catalogues (政务公开标准目录) into an accessible static site."""

__version__ = "0.1.0"
