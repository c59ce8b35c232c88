"""Setup of a connection by finance staff: account mapping, tags, categories, the overview and the
JSON configuration API. Pages and API call the same services, so both validate and audit alike."""
