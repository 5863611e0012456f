"""ServiceNow-style service desk backend."""
