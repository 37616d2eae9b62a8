"""Where evalflow keeps its files and how its YAML configuration is validated."""

from evalflow.config.paths import Paths, evalflow_home
from evalflow.config.settings import ConfigError, Settings, load_settings, segment_column

__all__ = ["ConfigError", "Paths", "Settings", "evalflow_home", "load_settings", "segment_column"]
