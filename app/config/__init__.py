"""Settings (environment, TOML file) and logging: what every other layer reads."""
