"""Reports: results.json, JUnit properties, and (later) the HTML report."""
