"""One drill in small units: session, expectations, paging, recovery, quiet checks, and its record."""
