"""The operator's console at `/admin/`: a page shell and plain ES modules on the admin API, and server-drawn SVG
charts."""
