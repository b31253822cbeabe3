"""USB medical devices: the catalogue, who has what plugged in, and the consultation station."""
