"""forecast: will this delivery target be reached, and what would it take?"""

from forecast.errors import ConfigError, DataError, ForecastError

__version__ = "0.1.0"

__all__ = ["ConfigError", "DataError", "ForecastError", "__version__"]
