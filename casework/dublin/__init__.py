"""Dublin cases: requests to another member state, the transfer, and the request to stay."""
